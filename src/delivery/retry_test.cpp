#include "delivery/retry.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(RetrySchedule, StandardScheduleHasEightAttempts) {
  const auto s = RetrySchedule::standard();
  EXPECT_EQ(s.max_attempts(), 8);
  EXPECT_EQ(s.delays_ms.front(), 5'000);
  EXPECT_EQ(s.delays_ms.back(), 36'000'000);
}

TEST(RetrySchedule, ParsesUnits) {
  const auto s = RetrySchedule::parse("200ms,5s,5m,2h");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->delays_ms, (std::vector<int64_t>{200, 5'000, 300'000, 7'200'000}));
  EXPECT_FALSE(RetrySchedule::parse("5s,,5m"));
  EXPECT_FALSE(RetrySchedule::parse("5s,soon"));
  const auto none = RetrySchedule::parse("");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->max_attempts(), 1);
}

TEST(NextRetryDelay, FollowsTheScheduleWithoutJitter) {
  RetrySchedule s{{1000, 2000}, 0.0};
  EXPECT_EQ(next_retry_delay_ms(s, 1, std::nullopt, 0.7), 1000);
  EXPECT_EQ(next_retry_delay_ms(s, 2, std::nullopt, 0.7), 2000);
  EXPECT_FALSE(next_retry_delay_ms(s, 3, std::nullopt, 0.7));  // exhausted
  EXPECT_FALSE(next_retry_delay_ms(s, 0, std::nullopt, 0.7));
}

TEST(NextRetryDelay, JitterStaysWithinBounds) {
  RetrySchedule s{{10'000}, 0.2};
  EXPECT_EQ(next_retry_delay_ms(s, 1, std::nullopt, 0.0), 8'000);
  EXPECT_EQ(next_retry_delay_ms(s, 1, std::nullopt, 0.5), 10'000);
  const auto high = next_retry_delay_ms(s, 1, std::nullopt, 0.999999);
  ASSERT_TRUE(high.has_value());
  EXPECT_GE(*high, 11'999);
  EXPECT_LE(*high, 12'000);
}

TEST(NextRetryDelay, LongerRetryAfterWins) {
  RetrySchedule s{{1000}, 0.0};
  EXPECT_EQ(next_retry_delay_ms(s, 1, 5000, 0.5), 5000);
  EXPECT_EQ(next_retry_delay_ms(s, 1, 10, 0.5), 1000);
  EXPECT_EQ(next_retry_delay_ms(s, 1, int64_t{10} * 86'400'000, 0.5), 86'400'000);
}

TEST(RetryAfter, ParsesSecondsAndDates) {
  EXPECT_EQ(parse_retry_after_ms("120", 0), 120'000);
  EXPECT_EQ(parse_retry_after_ms(" 3 ", 0), 3'000);
  EXPECT_EQ(parse_retry_after_ms(" 2\r\n", 0), 2'000);  // as a header line arrives from libcurl
  EXPECT_EQ(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000), 10'000);
  EXPECT_EQ(parse_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490000), 0);
  EXPECT_FALSE(parse_retry_after_ms("-5", 0));
  EXPECT_FALSE(parse_retry_after_ms("soon", 0));
  EXPECT_FALSE(parse_retry_after_ms("", 0));
}

}  // namespace
}  // namespace hookd
