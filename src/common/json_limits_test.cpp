#include "common/json_limits.h"

#include <gtest/gtest.h>

#include <string>

namespace hookd {
namespace {

std::string nested(int levels, const std::string& leaf = "1") {
  std::string out;
  for (int i = 0; i < levels; ++i) out += "{\"a\":";
  out += leaf;
  out.append(static_cast<size_t>(levels), '}');
  return out;
}

TEST(JsonLimits, CountsObjectsAndArraysButNotBracketsInStrings) {
  EXPECT_FALSE(nests_deeper_than("{}", 1));
  EXPECT_TRUE(nests_deeper_than("[{}]", 1));
  EXPECT_FALSE(nests_deeper_than(R"({"a":"[[[[\"[[[{{{"})", 1));
  EXPECT_FALSE(nests_deeper_than(nested(128), 128));
  EXPECT_TRUE(nests_deeper_than(nested(129), 128));
  EXPECT_TRUE(nests_deeper_than(std::string(1'000'000, '['), 128));  // no recursion, any input
}

TEST(JsonLimits, BigIntegersBecomeDoublesOfTheirMagnitude) {
  EXPECT_EQ(
      big_integers_as_doubles(R"({"a":123456789012345678901234567890,"b":-99999999999999999999})"),
      R"({"a":1e29,"b":-1e19})");
  EXPECT_EQ(big_integers_as_doubles(R"({"s":"123456789012345678901234567890","n":12,"f":1.5e300})"),
            R"({"s":"123456789012345678901234567890","n":12,"f":1.5e300})");
  EXPECT_EQ(big_integers_as_doubles(R"(["\"",12345678901234567890123.5])"),
            R"(["\"",12345678901234567890123.5])");
  EXPECT_EQ(big_integers_as_doubles("[0.123456789012345678901234,1e-123456789012345678901]"),
            "[0.123456789012345678901234,1e-123456789012345678901]");
}

}  // namespace
}  // namespace hookd
