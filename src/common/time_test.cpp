#include "common/time.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(Time, FormatsAndParsesRfc3339) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1614265330123), "2021-02-25T15:02:10.123Z");
  EXPECT_EQ(format_rfc3339(951782400000), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(format_rfc3339(4102444799999), "2099-12-31T23:59:59.999Z");
  // Every day for 200 years round-trips through the parser.
  for (int64_t t = 0; t < 200LL * 365 * 86400000; t += 86400000LL + 3601001) {
    ASSERT_EQ(parse_rfc3339(format_rfc3339(t)), t) << format_rfc3339(t);
  }
  EXPECT_EQ(parse_rfc3339("2021-02-25T15:02:10.123Z"), 1614265330123);
  EXPECT_EQ(parse_rfc3339("2021-02-25T15:02:10Z"), 1614265330000);
  EXPECT_EQ(parse_rfc3339("2021-02-25T17:02:10+02:00"), 1614265330000);
  EXPECT_FALSE(parse_rfc3339("2021-02-25"));
  EXPECT_FALSE(parse_rfc3339("2021-13-25T15:02:10Z"));
  EXPECT_FALSE(parse_rfc3339("2021-02-25T15:02:10Zjunk"));
}

TEST(Time, ParsesDurations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("5s"), 5000);
  EXPECT_EQ(parse_duration_ms("5"), 5000);
  EXPECT_EQ(parse_duration_ms("0.5s"), 500);
  EXPECT_EQ(parse_duration_ms("5m"), 300000);
  EXPECT_EQ(parse_duration_ms("2h"), 7200000);
  EXPECT_FALSE(parse_duration_ms("5 parsecs"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  // Beyond what a 64-bit count of milliseconds holds: refused, not converted (undefined).
  EXPECT_FALSE(parse_duration_ms("1e300d"));
  EXPECT_FALSE(parse_duration_ms("inf"));
  EXPECT_FALSE(parse_duration_ms("nan"));
  EXPECT_FALSE(parse_duration_ms(""));
}

}  // namespace
}  // namespace hookd
