#pragma once

#include <cstdint>
#include <string>

#include "model/message.h"

// What the delivery threads report about attempts and circuits, and the interface that receives
// it (implemented by the health monitor, src/health/monitor.h). The observer is called on
// delivery threads; the value types are plain and may be moved to any thread.
namespace hookd {

// What a delivery thread tells the health monitor about an attempt. Sent for failures, for
// successes of deliveries that had failed before, and for the first success of an endpoint that
// was failing; the healthy path sends nothing.
struct AttemptOutcome {
  std::string app_id;
  std::string endpoint_id;
  MessagePtr message;
  std::string attempt_id;
  int64_t at_ms = 0;
  bool success = false;
  bool will_retry = false;  // failed, and another attempt is scheduled
  bool exhausted = false;   // failed, and the schedule is used up
  bool gone = false;        // the receiver answered 410
  int status_code = 0;
  std::string error_class;
  int attempts_made = 0;  // including this one
  TriggerType trigger = TriggerType::kScheduled;
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// Receives what delivery threads observe; implemented by the health monitor. Called on delivery
// threads: implementations must not block.
class DeliveryObserver {
 public:
  virtual ~DeliveryObserver() = default;
  virtual void attempt_finished(AttemptOutcome&& outcome) = 0;
  virtual void circuit_changed(const std::string& endpoint_id, CircuitState state,
                               int64_t open_until_ms) = 0;
};

}  // namespace hookd
