#include "delivery/attempt_outcome.h"

namespace hookd {

namespace {

// A failed scheduled attempt that was not a 410.
void decide_failure(const AttemptFacts& facts, const RetryPolicy& policy, int64_t now,
                    std::optional<int64_t>& batch_delay, AttemptDecision& d) {
  const RetrySchedule& schedule = *policy.schedule;
  if (facts.attempts > static_cast<int>(schedule.delays_ms.size())) {
    d.status = DeliveryStatus::kFailed;
    d.release_after_commit = true;
    return;
  }
  if (!batch_delay) {
    batch_delay =
        next_retry_delay_ms(schedule, facts.attempts, facts.retry_after_ms, policy.unit_random());
  }
  d.status = DeliveryStatus::kPending;
  d.next_attempt_at = now + *batch_delay;
  if (*batch_delay <= policy.memory_horizon_ms) {
    d.retry_in_memory = true;
  } else {
    d.release_after_commit = true;  // the loader brings it back when it is due
  }
}

}  // namespace

AttemptDecision decide_attempt(const AttemptFacts& facts, const RetryPolicy& policy, int64_t now,
                               std::optional<int64_t>& batch_delay) {
  AttemptDecision d;
  if (facts.success) {
    d.status = DeliveryStatus::kSuccess;
    d.release_after_commit = true;
  } else if (facts.trigger == TriggerType::kManual) {
    d.update_delivery = false;  // a failed manual resend leaves the schedule as it was
    d.release_after_commit = facts.replay;
  } else if (facts.gone) {
    // 410 Gone: the health monitor disables the endpoint; the delivery stays pending, to be sent
    // when its owner enables the endpoint again.
    const auto delay = next_retry_delay_ms(*policy.schedule, facts.attempts, facts.retry_after_ms,
                                           policy.unit_random());
    d.status = DeliveryStatus::kPending;
    d.next_attempt_at = now + delay.value_or(policy.gone_delay_ms);
    d.release_after_commit = true;
  } else {
    decide_failure(facts, policy, now, batch_delay, d);
  }
  d.will_retry =
      !facts.success && !facts.gone && d.status == DeliveryStatus::kPending && d.update_delivery;
  d.exhausted = !facts.success && d.status == DeliveryStatus::kFailed && d.update_delivery;
  return d;
}

const RetrySchedule& retry_schedule_for(const Endpoint& endpoint, const RetrySchedule& server,
                                        RetrySchedule& own) {
  if (endpoint.retry_delays_ms.empty()) return server;
  own.delays_ms = endpoint.retry_delays_ms;
  own.jitter = server.jitter;
  return own;
}

}  // namespace hookd
