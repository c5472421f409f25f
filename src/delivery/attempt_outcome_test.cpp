#include "delivery/attempt_outcome.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

double half() { return 0.5; }  // no jitter: the delay is the scheduled one

int random_calls = 0;
double counted_half() {
  ++random_calls;
  return 0.5;
}

constexpr int64_t kNow = 1'000'000;

class DecideAttempt : public ::testing::Test {
 protected:
  DecideAttempt() {
    schedule_.delays_ms = {1'000, 60'000};
    schedule_.jitter = 0.2;
    policy_.schedule = &schedule_;
    policy_.gone_delay_ms = 5'000;
    policy_.memory_horizon_ms = 30'000;
    policy_.unit_random = &half;
  }
  AttemptDecision decide(const AttemptFacts& facts) {
    std::optional<int64_t> batch_delay;
    return decide_attempt(facts, policy_, kNow, batch_delay);
  }
  static AttemptFacts failed(int attempts) {
    AttemptFacts f;
    f.attempts = attempts;
    return f;
  }

  RetrySchedule schedule_;
  RetryPolicy policy_;
};

TEST_F(DecideAttempt, SuccessSettlesTheDelivery) {
  AttemptFacts f;
  f.success = true;
  f.attempts = 1;
  const auto d = decide(f);
  EXPECT_TRUE(d.update_delivery);
  EXPECT_EQ(d.status, DeliveryStatus::kSuccess);
  EXPECT_TRUE(d.release_after_commit);
  EXPECT_FALSE(d.retry_in_memory);
  EXPECT_FALSE(d.will_retry);
  EXPECT_FALSE(d.exhausted);
}

TEST_F(DecideAttempt, SuccessDrawsNoRandomNumber) {
  policy_.unit_random = &counted_half;
  random_calls = 0;
  AttemptFacts f;
  f.success = true;
  decide(f);
  EXPECT_EQ(random_calls, 0);
}

TEST_F(DecideAttempt, SoonRetryWaitsInMemory) {
  const auto d = decide(failed(1));
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, kNow + 1'000);
  EXPECT_TRUE(d.retry_in_memory);
  EXPECT_FALSE(d.release_after_commit);
  EXPECT_TRUE(d.will_retry);
  EXPECT_FALSE(d.exhausted);
}

TEST_F(DecideAttempt, LateRetryWaitsInTheStore) {
  const auto d = decide(failed(2));
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, kNow + 60'000);
  EXPECT_FALSE(d.retry_in_memory);
  EXPECT_TRUE(d.release_after_commit);
  EXPECT_TRUE(d.will_retry);
}

TEST_F(DecideAttempt, RetryAfterLongerThanTheScheduleWins) {
  AttemptFacts f = failed(1);
  f.retry_after_ms = 45'000;
  const auto d = decide(f);
  EXPECT_EQ(d.next_attempt_at, kNow + 45'000);
  EXPECT_FALSE(d.retry_in_memory);  // beyond the memory horizon
}

TEST_F(DecideAttempt, LastAttemptExhaustsTheSchedule) {
  const auto d = decide(failed(3));
  EXPECT_EQ(d.status, DeliveryStatus::kFailed);
  EXPECT_TRUE(d.release_after_commit);
  EXPECT_FALSE(d.retry_in_memory);
  EXPECT_FALSE(d.will_retry);
  EXPECT_TRUE(d.exhausted);
}

TEST_F(DecideAttempt, GoneStaysPendingAndIsReleased) {
  AttemptFacts f = failed(1);
  f.gone = true;
  auto d = decide(f);
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, kNow + 1'000);
  EXPECT_TRUE(d.release_after_commit);
  EXPECT_FALSE(d.retry_in_memory);
  EXPECT_FALSE(d.will_retry);
  EXPECT_FALSE(d.exhausted);
  // Past the end of the schedule: still pending, due after the server's first delay.
  f.attempts = 3;
  d = decide(f);
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, kNow + 5'000);
  EXPECT_FALSE(d.exhausted);
}

TEST_F(DecideAttempt, FailedManualResendLeavesTheDeliveryAsItWas) {
  AttemptFacts f = failed(1);
  f.trigger = TriggerType::kManual;
  auto d = decide(f);
  EXPECT_FALSE(d.update_delivery);
  EXPECT_FALSE(d.release_after_commit);
  EXPECT_FALSE(d.retry_in_memory);
  EXPECT_FALSE(d.will_retry);
  EXPECT_FALSE(d.exhausted);
  f.replay = true;  // a replay is held until its outcome is durable
  d = decide(f);
  EXPECT_FALSE(d.update_delivery);
  EXPECT_TRUE(d.release_after_commit);
}

TEST_F(DecideAttempt, ABatchSharesOneDelay) {
  policy_.unit_random = &counted_half;
  random_calls = 0;
  std::optional<int64_t> batch_delay;
  const auto first = decide_attempt(failed(1), policy_, kNow, batch_delay);
  ASSERT_TRUE(batch_delay.has_value());
  EXPECT_EQ(*batch_delay, 1'000);
  // A delivery of the batch on its second attempt would wait a minute on its own.
  const auto second = decide_attempt(failed(2), policy_, kNow, batch_delay);
  EXPECT_EQ(first.next_attempt_at, second.next_attempt_at);
  EXPECT_TRUE(second.retry_in_memory);
  EXPECT_EQ(random_calls, 1);
}

TEST(RetryScheduleFor, EndpointsOwnDelaysWithTheServersJitter) {
  RetrySchedule server{{5'000, 300'000}, 0.1};
  Endpoint endpoint;
  RetrySchedule own;
  EXPECT_EQ(&retry_schedule_for(endpoint, server, own), &server);
  endpoint.retry_delays_ms = {200, 400, 800};
  const RetrySchedule& chosen = retry_schedule_for(endpoint, server, own);
  EXPECT_EQ(&chosen, &own);
  EXPECT_EQ(chosen.delays_ms, endpoint.retry_delays_ms);
  EXPECT_DOUBLE_EQ(chosen.jitter, 0.1);
}

}  // namespace
}  // namespace hookd
