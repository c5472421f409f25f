#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// The objects hookd stores. Cold-path objects (applications, event types, endpoints) are kept in
// memory by the Catalog and persisted as JSON documents; messages, deliveries and attempts are
// rows.
namespace hookd {

struct Application {
  std::string id;
  std::string uid;  // empty when unset
  std::string name;
  std::string metadata_json = "{}";
  std::optional<int64_t> throttle_rate;
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
  std::string metadata_json = "{}";
  std::optional<int64_t> throttle_rate;
  int64_t version = 1;
  std::vector<EndpointSecret> secrets;  // secrets.front() is the current key
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

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

}  // namespace hookd
