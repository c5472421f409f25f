#include "catalog/catalog_endpoint.h"

#include <string>

#include "filter/filter.h"
#include "signing/asymmetric.h"
#include "signing/signature.h"

namespace hookd {

Checked<EndpointPtr> compile_endpoint(const Endpoint& endpoint) {
  auto compiled = std::make_shared<CatalogEndpoint>();
  static_cast<Endpoint&>(*compiled) = endpoint;
  // A secret that does not decode signs nothing (transfer.cpp skips empty keys).
  for (auto& secret : compiled->secrets) {
    secret.key = signing::decode_secret(secret.encoded).value_or("");
  }
  if (!endpoint.filter_json.empty()) {
    auto filter = PayloadFilter::compile(endpoint.filter_json);
    if (!filter) return filter.problem();
    compiled->filter = std::move(filter).value();
  }
  if (endpoint.signing_type != "hmac") {
    const auto type =
        endpoint.signing_type == "rsa" ? signing::KeyType::kRsa : signing::KeyType::kEd25519;
    compiled->signing_key = signing::SigningKey::from_pem(type, endpoint.signing_key_pem);
    if (!compiled->signing_key)
      return Problem{"signing key", "not a usable " + endpoint.signing_type + " private key"};
  }
  return EndpointPtr(std::move(compiled));
}

}  // namespace hookd
