#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "delivery/ssrf.h"
#include "model/endpoint.h"

// Endpoint request bodies (create, PUT, PATCH of /api/v1/app/{app}/endpoint) read into the
// Endpoint model. Errors are ApiErrors whose detail names the field. Pure functions: callable
// from any thread; the catalog checks run through the callbacks of EndpointInputContext.
namespace hookd::api {

// What reading an endpoint needs beyond its body.
struct EndpointInputContext {
  AddressPolicy address_policy;
  bool https_only = false;  // endpoint URLs must be https
  // Throws when one of `names` (from the body's `field`) is not a usable event type; may be
  // empty (no check).
  std::function<void(const std::vector<std::string>& names, const char* field)> check_event_types;
  // Throws when `uid` belongs to another endpoint of the application; may be empty.
  std::function<void(const std::string& uid)> check_uid_free;
  // The private key (PEM) a change to an ed25519 or rsa signing scheme takes: made by
  // new_signing_key_for before the catalog's lock is held, since an RSA key takes tens of
  // milliseconds to generate.
  std::string new_signing_key_pem;
};

// Applies the fields present in `body` to `ep`; with `full` (create, PUT) absent fields are
// reset, without it (PATCH) they are kept. A `null` resets the fields documented as nullable.
void apply_endpoint_input(const nlohmann::json& body, bool full, const EndpointInputContext& ctx,
                          Endpoint& ep);

// A new private key (PEM) for the asymmetric scheme `body`'s "signing.type" names; empty when it
// names none. Whether the endpoint changes scheme (and so uses it) is known only under the lock.
std::string new_signing_key_for(const nlohmann::json& body);

// A 422 for a field that is not one of EndpointIn's; `secret` only at creation (`create`).
void reject_unknown_endpoint_fields(const nlohmann::json& body, bool create);

// Sets (or, for null, deletes) each header of `object` in `headers`, by case-insensitive name;
// with `basic_auth` an Authorization header is refused.
void merge_headers(const nlohmann::json& object,
                   std::vector<std::pair<std::string, std::string>>& headers, bool basic_auth);
// Removes the headers named in `names` (case-insensitive) from `headers`.
void delete_headers(const std::vector<std::string>& names,
                    std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace hookd::api
