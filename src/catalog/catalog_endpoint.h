#pragma once

#include <memory>

#include "common/problem.h"
#include "model/endpoint.h"

namespace hookd {

class PayloadFilter;  // filter/filter.h
namespace signing {
class SigningKey;  // signing/asymmetric.h
}

// An endpoint as the Catalog holds it: the stored data, plus what delivering to it needs ready:
// its payload filter compiled, its signing key loaded and its secrets' key bytes decoded. Immutable
// once published (readers hold it as EndpointPtr), so any thread may read it.
struct CatalogEndpoint final : Endpoint {
  std::shared_ptr<const PayloadFilter> filter;             // filter_json compiled; null: none
  std::shared_ptr<const signing::SigningKey> signing_key;  // signing_key_pem loaded; null: hmac
};
using EndpointPtr = std::shared_ptr<const CatalogEndpoint>;

// Compiles `endpoint`'s filter, loads its signing key and decodes its secrets, or names the
// field ("filter", "signing key") that is unusable. The API checks input before it is stored,
// so a problem here means a damaged document. Callable from any thread.
Checked<EndpointPtr> compile_endpoint(const Endpoint& endpoint);

}  // namespace hookd
