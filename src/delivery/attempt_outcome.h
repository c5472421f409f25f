#pragma once

#include <cstdint>
#include <optional>

#include "delivery/retry.h"
#include "model/endpoint.h"
#include "model/message.h"

// What a finished attempt means for its delivery: a pure decision from the attempt's result, the
// delivery's trigger and attempts, and the retry policy (docs/failures.md). It says what to
// record (the delivery's new status and next attempt) and where the delivery waits next: on the
// delivery thread's timers, or in the store for the loader.
//
// Thread-safe: no state (the policy's random source is called on the caller's thread).
namespace hookd {

// The attempt, as the decision needs it.
struct AttemptFacts {
  bool success = false;
  bool gone = false;  // the receiver answered 410
  TriggerType trigger = TriggerType::kScheduled;
  bool replay = false;
  int attempts = 0;                       // made, including this one
  std::optional<int64_t> retry_after_ms;  // the receiver's Retry-After
};

struct RetryPolicy {
  const RetrySchedule* schedule = nullptr;  // the endpoint's own, or the server's
  // A 410 leaves the delivery pending; when the schedule is used up it is next due after this.
  int64_t gone_delay_ms = 5'000;
  int64_t memory_horizon_ms = 0;  // retries due later than this wait in the store
  // Picks the jitter, in [0, 1). Called only for failed attempts that are scheduled again.
  double (*unit_random)() = nullptr;
};

struct AttemptDecision {
  bool update_delivery = true;  // false: a failed manual resend leaves the delivery as it was
  DeliveryStatus status = DeliveryStatus::kPending;
  int64_t next_attempt_at = 0;  // unix ms, while pending
  // The delivery waits on this thread's timers for its next attempt.
  bool retry_in_memory = false;
  // The delivery thread no longer holds the delivery once its outcome is durable.
  bool release_after_commit = false;
  bool will_retry = false;  // failed, and another attempt is scheduled
  bool exhausted = false;   // failed, and the schedule is used up
};

// Decides what one finished attempt means at `now` (unix ms). The deliveries of one request (a
// batch) that are retried share one delay: `batch_delay` holds it once the first is decided.
AttemptDecision decide_attempt(const AttemptFacts& facts, const RetryPolicy& policy, int64_t now,
                               std::optional<int64_t>& batch_delay);

// The schedule an endpoint's deliveries follow: its own retry delays (kept in `own`) with the
// server's jitter, or the server's schedule when it has none (docs/endpoint-options.md).
const RetrySchedule& retry_schedule_for(const Endpoint& endpoint, const RetrySchedule& server,
                                        RetrySchedule& own);

}  // namespace hookd
