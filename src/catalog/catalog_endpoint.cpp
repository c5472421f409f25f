#include "catalog/catalog_endpoint.h"

#include <stdexcept>
#include <string>

#include "filter/filter.h"
#include "signing/asymmetric.h"
#include "signing/signature.h"

namespace hookd {

EndpointPtr compile_endpoint(const Endpoint& endpoint) {
  auto compiled = std::make_shared<CatalogEndpoint>();
  static_cast<Endpoint&>(*compiled) = endpoint;
  // A secret that does not decode signs nothing (transfer.cpp skips empty keys).
  for (auto& secret : compiled->secrets) {
    secret.key = signing::decode_secret(secret.encoded).value_or("");
  }
  if (!endpoint.filter_json.empty()) {
    std::string error;
    compiled->filter = PayloadFilter::compile(endpoint.filter_json, error);
    if (!compiled->filter) throw std::invalid_argument("endpoint " + endpoint.id + ": " + error);
  }
  if (endpoint.signing_type != "hmac") {
    const auto type =
        endpoint.signing_type == "rsa" ? signing::KeyType::kRsa : signing::KeyType::kEd25519;
    compiled->signing_key = signing::SigningKey::from_pem(type, endpoint.signing_key_pem);
    if (!compiled->signing_key) {
      throw std::invalid_argument("endpoint " + endpoint.id + ": bad signing key");
    }
  }
  return compiled;
}

}  // namespace hookd
