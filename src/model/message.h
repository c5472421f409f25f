#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// Messages and what delivering them leaves behind: deliveries (one per message and endpoint)
// and attempts (one per request). Plain data, stored as rows.
namespace hookd {

struct Message {
  std::string id;
  std::string app_id;
  std::string event_type;
  std::string event_id;  // empty when unset
  std::vector<std::string> channels;
  std::string payload;  // the payload bytes exactly as received
  int64_t created_at = 0;
  // Its payload was expunged (it reads `{}`): it is not resent or replayed. Filled by
  // Store::get_message only.
  bool content_expunged = false;
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

// The status the API reports for a delivery: a pending one that has been attempted (and so
// failed and waits for its retry) is Svix's "sending". The store keeps success, pending, failed.
inline DeliveryStatus reported_status(const Delivery& d) {
  return d.status == DeliveryStatus::kPending && d.attempts > 0 ? DeliveryStatus::kSending
                                                                : d.status;
}

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
