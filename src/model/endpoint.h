#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/application.h"

// An endpoint: where an application's messages are delivered, and how (docs/endpoint-options.md).
// Plain data as stored: the payload filter is its JSON and the signing key its PEM; the Catalog
// compiles them when it takes the endpoint in (catalog/catalog.h, CatalogEndpoint).
namespace hookd {

struct EndpointSecret {
  std::string encoded;     // "whsec_..."
  std::string key;         // decoded key bytes; filled by the catalog (compile_endpoint)
  int64_t expires_at = 0;  // unix ms after which a rotated-out key stops signing; 0: current key
};

struct Endpoint {
  std::string id;
  std::string app_id;
  std::string uid;
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // empty: every event type
  std::vector<std::string> channels;     // empty: messages without channels
  bool disabled = false;
  std::string disabled_reason;  // set when hookd disabled it: "exhausted", "failing", "gone"
  int64_t disabled_at = 0;
  std::string metadata_json = "{}";
  std::optional<int64_t> throttle_rate;  // requests per second
  std::optional<int> max_concurrency;    // requests in flight at most
  AlertSettings alerts;
  // Options of docs/endpoint-options.md.
  std::string label;
  std::vector<std::pair<std::string, std::string>> headers;  // custom headers, in order
  std::string basic_username;                                // empty: no basic authentication
  std::string basic_password;
  bool form_format = false;  // body "data=<percent-encoded payload>" instead of the JSON bytes
  bool success_only_200 = false;
  std::vector<int64_t> retry_delays_ms;      // empty: the server's retry_schedule
  std::string filter_json;                   // empty: no payload filter
  std::vector<std::string> field_selection;  // payload paths sent; empty: the whole payload
  std::string extra_fields_json;             // an object merged into each payload; empty: none
  // Batching: 0 sends one event per request; N > 0 sends up to N events per request, waiting at
  // most batch_max_wait_ms for a batch to fill, as {"<envelope key>": [payload, ...]}.
  int batch_max_events = 0;
  int64_t batch_max_wait_ms = 0;
  std::string batch_key;  // the envelope key; empty: the application's uid (its id if none)
  std::string signing_type = "hmac";  // "hmac", "ed25519" (v1a) or "rsa" (in signature_header)
  std::string signature_header;       // rsa: the header carrying the signature
  std::string signing_key_pem;        // ed25519, rsa: the private key
  bool require_test = false;          // enabling needs a test that got a 200
  int last_test_status = 0;           // of POST .../test; 0: never tested or no answer
  int64_t last_test_at = 0;
  int64_t version = 1;
  std::vector<EndpointSecret> secrets;  // secrets.front() is the current key
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// The key of a batching endpoint's envelope: its own, or the application's uid, or its id.
inline const std::string& envelope_key(const Endpoint& ep, const Application& app) {
  if (!ep.batch_key.empty()) return ep.batch_key;
  return app.uid.empty() ? app.id : app.uid;
}

}  // namespace hookd
