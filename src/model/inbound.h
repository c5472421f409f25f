#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// The receiving side's data: inbound sources, the events they took in, the requests they
// refused. Plain data; the names of the enums are the ones used in documents and in the API.
namespace hookd {

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
  // skalin: each event is also an activity of the application's contact `customerId`, named
  // `event.name` (docs/journeys.md).
  bool activities = false;
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

// The names used in documents and in the API.
const char* kind_name(SourceKind kind);
std::optional<SourceKind> kind_from_name(std::string_view name);
const char* verification_name(VerificationType type);
std::optional<VerificationType> verification_from_name(std::string_view name);

}  // namespace hookd
