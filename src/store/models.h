#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// The objects hookd stores. Cold-path objects (applications, event types, endpoints) are kept in
// memory by the Catalog and persisted as JSON documents; messages, deliveries and attempts are
// rows.
namespace hookd {

class PayloadFilter;  // src/filter/filter.h
namespace signing {
class SigningKey;  // src/signing/asymmetric.h
}

// Who is emailed about an application's or endpoint's failures (docs/failures.md).
struct AlertSettings {
  std::vector<std::string> emails;
  std::string frequency;  // "immediate", "hourly", "daily"; empty: inherited (or immediate)
};

struct Application {
  std::string id;
  std::string uid;  // empty when unset
  std::string name;
  std::string metadata_json = "{}";
  std::optional<int64_t> throttle_rate;
  AlertSettings alerts;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct EventType {
  std::string name;
  std::string description;
  std::string schemas_json;  // empty when unset
  std::string example_json;  // empty when unset
  std::string feature_flag;
  bool deprecated = false;
  bool archived = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct EndpointSecret {
  std::string encoded;     // "whsec_..."
  std::string key;         // decoded key bytes
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
  std::vector<int64_t> retry_delays_ms;         // empty: the server's retry_schedule
  std::string filter_json;                      // empty: no payload filter
  std::shared_ptr<const PayloadFilter> filter;  // filter_json compiled
  std::vector<std::string> field_selection;     // payload paths sent; empty: the whole payload
  std::string extra_fields_json;                // an object merged into each payload; empty: none
  // Batching: 0 sends one event per request; N > 0 sends up to N events per request, waiting at
  // most batch_max_wait_ms for a batch to fill, as {"<envelope key>": [payload, ...]}.
  int batch_max_events = 0;
  int64_t batch_max_wait_ms = 0;
  std::string batch_key;  // the envelope key; empty: the application's uid (its id if none)
  std::string signing_type = "hmac";  // "hmac", "ed25519" (v1a) or "rsa" (in signature_header)
  std::string signature_header;       // rsa: the header carrying the signature
  std::string signing_key_pem;        // ed25519, rsa: the private key
  std::shared_ptr<const signing::SigningKey> signing_key;  // signing_key_pem loaded
  bool require_test = false;                               // enabling needs a test that got a 200
  int last_test_status = 0;  // of POST .../test; 0: never tested or no answer
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

struct Message {
  std::string id;
  std::string app_id;
  std::string event_type;
  std::string event_id;  // empty when unset
  std::vector<std::string> channels;
  std::string payload;  // the payload bytes exactly as received
  int64_t created_at = 0;
};
using MessagePtr = std::shared_ptr<const Message>;

// Delivery status and attempt status share Svix's MessageStatus numbering.
enum class DeliveryStatus : int { kSuccess = 0, kPending = 1, kFailed = 2, kSending = 3 };
enum class TriggerType : int { kScheduled = 0, kManual = 1 };

struct Delivery {
  std::string msg_id;
  std::string endpoint_id;
  std::string app_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  int64_t next_attempt_at = 0;  // unix ms; meaningful while pending
  int64_t updated_at = 0;
};

struct Attempt {
  std::string id;
  std::string msg_id;
  std::string endpoint_id;
  std::string app_id;
  std::string url;
  DeliveryStatus status = DeliveryStatus::kFailed;  // kSuccess or kFailed
  int status_code = 0;                              // 0 for network errors
  std::string response;                             // first bytes of the receiver's body
  int64_t duration_ms = 0;
  TriggerType trigger = TriggerType::kScheduled;
  std::string error_class = "none";
  int64_t created_at = 0;
};

// An inbound source: where third parties POST events (docs/inbound.md).
enum class SourceKind { kSkalin, kGeneric };
enum class VerificationType { kNone, kHmac, kStandardWebhooks, kBasic, kApiKey };

struct SourceVerification {
  VerificationType type = VerificationType::kNone;
  std::string header;                // hmac: the signature header; api_key: the key header
  std::string algorithm = "sha256";  // hmac: sha256 or sha512
  std::string encoding = "hex";      // hmac: hex or base64
  std::string prefix;                // hmac: stripped from the header value, e.g. "sha256="
  std::string timestamp_header;      // hmac: when set, the signed content is "{ts}.{body}"
  int64_t tolerance_s = 300;
  std::string secret;              // hmac: the key as given; standard_webhooks: "whsec_..."
  std::string username, password;  // basic
  std::string key;                 // api_key
};

struct InboundSource {
  std::string id;
  std::string app_id;
  std::string uid;
  std::string name;
  SourceKind kind = SourceKind::kSkalin;
  std::string webhook_id;
  std::string client_id;  // empty: not checked
  SourceVerification verification;
  int64_t max_body_bytes = 0;  // 0: the server's limit
  std::string forward_app_id;  // empty: events are not forwarded
  std::string forward_event_type;
  std::string id_header;  // generic: header holding the de-duplication key
  std::string id_field;   // generic: top-level body field holding it
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
using SourcePtr = std::shared_ptr<const InboundSource>;

// An event received by a source. For skalin sources the Skalin fields are filled; generic ones
// have only the key, the payload and the times.
struct InboundEvent {
  std::string id;
  std::string source_id;
  std::string event_key;  // eventId, or the generic de-duplication key; empty: none
  std::string customer_id;
  std::string name;
  std::optional<int> score;
  std::string ts;         // as sent, empty when absent
  std::string localtime;  // as sent, empty when absent
  int64_t occurred_at = 0;
  int64_t received_at = 0;
  int64_t revision = 1;
  std::string content_type;
  std::string payload;     // JSON
  std::string message_id;  // the forwarded message, empty when not forwarded
};

struct CustomerSummary {
  std::string customer_id;
  int64_t event_count = 0;
  std::optional<double> average_score;
  std::optional<int> latest_score;
  int64_t last_event_at = 0;
};

// A request a source refused (verification or client id); kept for the owner to inspect.
struct InboundRejection {
  std::string id;
  std::string source_id;
  int status = 401;
  std::string reason;
  int64_t received_at = 0;
};

}  // namespace hookd
