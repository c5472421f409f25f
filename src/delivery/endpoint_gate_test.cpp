#include "delivery/endpoint_gate.h"

#include <gtest/gtest.h>

#include <vector>

namespace hookd {
namespace {

// When `count` requests start at `rate` per second, each starting as soon as the bucket lets it
// (the delivery thread looks again at the time take() names), from `start_ms` on.
std::vector<int64_t> start_times(TokenBucket& bucket, int64_t rate, int count,
                                 int64_t start_ms = 0) {
  std::vector<int64_t> times;
  int64_t now = start_ms;
  while (static_cast<int>(times.size()) < count) {
    int64_t retry_at = 0;
    if (bucket.take(rate, now, retry_at)) {
      times.push_back(now);
    } else {
      EXPECT_GT(retry_at, now);
      now = retry_at;
    }
  }
  return times;
}

TEST(TokenBucket, StartsFullWithOneSecondsWorth) {
  TokenBucket bucket;
  int64_t retry_at = 0;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(bucket.take(20, 0, retry_at)) << i;
  EXPECT_FALSE(bucket.take(20, 0, retry_at));
  EXPECT_EQ(retry_at, 51);  // one token is 50 ms at 20/s, rounded up
  EXPECT_TRUE(bucket.started());
}

// 200 requests at throttleRate 20, as a receiver would see them: a burst of 20, then 20/s
// (this replaces an integration test that measured it in real time on a noisy machine).
TEST(TokenBucket, TwentyPerSecondAfterABurstOfTwenty) {
  TokenBucket bucket;
  const auto times = start_times(bucket, 20, 200);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(times[i], 0) << i;
  EXPECT_EQ(times[20], 51);
  for (size_t i = 21; i < times.size(); ++i) EXPECT_EQ(times[i] - times[i - 1], 50) << i;
  // The receiver-side measure: requests 60 to 190 at exactly 20/s.
  EXPECT_DOUBLE_EQ(130.0 / (static_cast<double>(times[190] - times[60]) / 1000.0), 20.0);
  EXPECT_EQ(times.back() - times.front(), 9'001);
}

// tests/test_failures.py test_throttle_rate_of_one_per_second, on a fake clock.
TEST(TokenBucket, OnePerSecondWithABurstOfOne) {
  TokenBucket bucket;
  const auto times = start_times(bucket, 1, 6);
  EXPECT_EQ(times.front(), 0);
  // A full bucket holds one token: the millisecond of rounding is not carried over.
  for (size_t i = 1; i < times.size(); ++i) EXPECT_EQ(times[i] - times[i - 1], 1'001) << i;
}

TEST(TokenBucket, RefillsToOneSecondsWorthAtMost) {
  TokenBucket bucket;
  start_times(bucket, 5, 5);  // empties the bucket at t=0
  const auto after_idle = start_times(bucket, 5, 7, 60'000);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(after_idle[i], 60'000) << i;
  EXPECT_EQ(after_idle[5], 60'201);
  EXPECT_EQ(after_idle[6], 60'401);
}

TEST(TokenBucket, FractionalTokensAccrue) {
  TokenBucket bucket;
  int64_t retry_at = 0;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(bucket.take(4, 0, retry_at));
  EXPECT_FALSE(bucket.take(4, 125, retry_at));  // half a token
  EXPECT_EQ(retry_at, 125 + 126);
  EXPECT_TRUE(bucket.take(4, 250, retry_at));  // the other half since
  EXPECT_FALSE(bucket.take(4, 250, retry_at));
}

DispatcherOptions circuit_options() {
  DispatcherOptions o;
  o.circuit_window = 4;
  o.circuit_min_attempts = 4;
  o.circuit_failure_ratio = 0.5;
  o.circuit_cooldown_ms = 1'000;
  o.circuit_max_cooldown_ms = 3'000;
  return o;
}

// Takes a slot with no throttle; `defer_until` and `change` as take_slot sets them.
bool take(EndpointGate& gate, int64_t now, int64_t& defer_until, GateChange& change) {
  defer_until = -1;
  return gate.take_slot(0, now, defer_until, change);
}

TEST(EndpointGate, OpensWhenHalfTheWindowFailed) {
  const auto options = circuit_options();
  EndpointGate gate;
  EXPECT_EQ(gate.observe(true, options, 0), GateChange::kNone);
  EXPECT_EQ(gate.observe(false, options, 0), GateChange::kNone);
  EXPECT_EQ(gate.observe(false, options, 0), GateChange::kNone);
  EXPECT_EQ(gate.state(), CircuitState::kClosed);
  EXPECT_EQ(gate.observe(true, options, 10), GateChange::kOpened);  // 2 of 4
  EXPECT_EQ(gate.state(), CircuitState::kOpen);
  EXPECT_EQ(gate.cooldown_ms(), 1'000);
}

TEST(EndpointGate, ForgetsOldAttemptsAndBecomesIdleWhenHealthy) {
  const auto options = circuit_options();
  EndpointGate gate;
  EXPECT_EQ(gate.observe(true, options, 0), GateChange::kNone);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gate.observe(false, options, 0), GateChange::kNone);
  // The failure leaves the window of four: nothing left to keep.
  EXPECT_EQ(gate.observe(false, options, 0), GateChange::kIdle);
}

TEST(EndpointGate, ThrottledGateIsNeverIdle) {
  const auto options = circuit_options();
  EndpointGate gate;
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  ASSERT_TRUE(gate.take_slot(10, 0, defer_until, change));
  EXPECT_EQ(gate.observe(false, options, 0), GateChange::kNone);
}

TEST(EndpointGate, OpenCircuitDefersThenLetsOneProbeThrough) {
  const auto options = circuit_options();
  EndpointGate gate;
  for (int i = 0; i < 4; ++i) gate.observe(true, options, 100);
  ASSERT_EQ(gate.state(), CircuitState::kOpen);
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  EXPECT_FALSE(take(gate, 500, defer_until, change));
  EXPECT_EQ(defer_until, 1'100);
  EXPECT_EQ(change, GateChange::kNone);

  EXPECT_TRUE(take(gate, 1'100, defer_until, change));
  EXPECT_EQ(change, GateChange::kHalfOpened);
  EXPECT_EQ(gate.state(), CircuitState::kHalfOpen);
  // One probe at a time: the next waits for its finish (defer 0).
  EXPECT_FALSE(take(gate, 1'200, defer_until, change));
  EXPECT_EQ(defer_until, 0);
  EXPECT_EQ(change, GateChange::kNone);
}

TEST(EndpointGate, FailedProbeDoublesTheCooldownUpToTheMaximum) {
  const auto options = circuit_options();
  EndpointGate gate;
  for (int i = 0; i < 4; ++i) gate.observe(true, options, 0);
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  int64_t now = 0;
  for (const int64_t cooldown : {2'000, 3'000, 3'000}) {
    now += gate.cooldown_ms();
    ASSERT_TRUE(take(gate, now, defer_until, change));
    ASSERT_EQ(change, GateChange::kHalfOpened);
    EXPECT_EQ(gate.observe(true, options, now), GateChange::kOpened);
    EXPECT_EQ(gate.cooldown_ms(), cooldown);
    EXPECT_FALSE(take(gate, now + cooldown - 1, defer_until, change));
    EXPECT_EQ(defer_until, now + cooldown);
  }
}

TEST(EndpointGate, SuccessfulProbeClosesAndResetsTheCooldown) {
  const auto options = circuit_options();
  EndpointGate gate;
  for (int i = 0; i < 4; ++i) gate.observe(true, options, 0);
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  ASSERT_TRUE(take(gate, 1'000, defer_until, change));
  ASSERT_EQ(gate.observe(true, options, 1'000), GateChange::kOpened);
  ASSERT_TRUE(take(gate, 3'000, defer_until, change));
  EXPECT_EQ(gate.observe(false, options, 3'000), GateChange::kClosed);
  EXPECT_EQ(gate.state(), CircuitState::kClosed);
  EXPECT_EQ(gate.cooldown_ms(), 1'000);
  // A fresh window: one failure does not open it again.
  EXPECT_EQ(gate.observe(true, options, 3'000), GateChange::kNone);
  EXPECT_TRUE(take(gate, 3'000, defer_until, change));
}

TEST(EndpointGate, ResultsOfRequestsStartedBeforeItOpenedAreIgnored) {
  const auto options = circuit_options();
  EndpointGate gate;
  for (int i = 0; i < 4; ++i) gate.observe(true, options, 0);
  EXPECT_EQ(gate.observe(false, options, 10), GateChange::kNone);
  EXPECT_EQ(gate.observe(true, options, 10), GateChange::kNone);
  EXPECT_EQ(gate.state(), CircuitState::kOpen);
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  EXPECT_FALSE(take(gate, 999, defer_until, change));
  EXPECT_EQ(defer_until, 1'000);  // still the first cooldown
}

TEST(EndpointGate, HalfOpenProbeOfAThrottledEndpointTakesAToken) {
  auto options = circuit_options();
  options.circuit_cooldown_ms = 500;
  EndpointGate gate;
  int64_t defer_until = 0;
  GateChange change = GateChange::kNone;
  ASSERT_TRUE(gate.take_slot(1, 0, defer_until, change));  // the bucket's only token
  for (int i = 0; i < 4; ++i) gate.observe(true, options, 0);
  // The cooldown is over, but the bucket holds half a token: no probe yet.
  EXPECT_FALSE(gate.take_slot(1, 500, defer_until, change));
  EXPECT_EQ(change, GateChange::kHalfOpened);
  EXPECT_EQ(defer_until, 1'001);
  EXPECT_TRUE(gate.take_slot(1, 1'001, defer_until, change));
  EXPECT_EQ(change, GateChange::kNone);
  EXPECT_EQ(gate.state(), CircuitState::kHalfOpen);
  EXPECT_FALSE(gate.take_slot(1, 5'000, defer_until, change));  // the probe is in flight
  EXPECT_EQ(defer_until, 0);
}

}  // namespace
}  // namespace hookd
