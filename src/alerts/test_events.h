#pragma once

#include <cstdint>
#include <string>

#include "alerts/alerts.h"

// Alert events and recipients for the alerts unit tests.
namespace hookd::alerts::test {

inline constexpr int64_t kT0 = 1'764'076'747'000;  // 2025-11-25T13:19:07.000Z
inline constexpr int64_t kMinute = 60'000;
inline constexpr int64_t kHour = 3'600'000;

inline AlertEvent failure(int64_t at, int status, std::string error = "http_status",
                          std::string endpoint = "ep_1") {
  AlertEvent e;
  e.kind = AlertKind::kFailure;
  e.app_id = "app_1";
  e.app_name = "Acme";
  e.endpoint_id = std::move(endpoint);
  e.endpoint_url = "https://example.test/hook";
  e.at_ms = at;
  e.status_code = status;
  e.error = std::move(error);
  e.msg_id = "msg_" + std::to_string(at);
  return e;
}

inline AlertEvent disabled(int64_t at, std::string reason = "exhausted") {
  AlertEvent e = failure(at, 0);
  e.kind = AlertKind::kDisabled;
  e.status_code = 0;
  e.error.clear();
  e.msg_id.clear();
  e.reason = std::move(reason);
  return e;
}

inline AlertEvent recovered(int64_t at) {
  AlertEvent e = disabled(at, "");
  e.kind = AlertKind::kRecovered;
  return e;
}

inline Recipients ops(Frequency frequency = Frequency::kImmediate) {
  return {{"ops@example.test", "dev@example.test"}, frequency};
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace hookd::alerts::test
