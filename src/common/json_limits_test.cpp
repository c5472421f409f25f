#include "common/json_limits.h"

#include <gtest/gtest.h>

#include <string>

#include "api/message_input.h"

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

bool accepted(const std::string& body, api::MessageInput& in, api::MessageInputError& error) {
  return api::parse_message_input(body, body.size(), in, error);
}

TEST(JsonLimits, MessageBodiesDeeperThanTheLimitAreA422NamingIt) {
  api::MessageInput in;
  api::MessageInputError error;
  EXPECT_TRUE(accepted(R"({"eventType":"a.b","payload":)" + nested(127) + "}", in, error))
      << error.detail;
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":)" + nested(128) + "}", in, error));
  EXPECT_EQ(error.status, 422);
  EXPECT_EQ(error.detail, "body: " + nesting_detail());
  set_max_json_depth(8);
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":)" + nested(8) + "}", in, error));
  EXPECT_NE(error.detail.find("8 levels"), std::string::npos) << error.detail;
  set_max_json_depth(kDefaultMaxJsonDepth);
}

TEST(JsonLimits, IntegersBeyond64BitsAreKeptVerbatim) {
  const std::string payload =
      R"({"big": 123456789012345678901234567890, "n": [-99999999999999999999]})";
  api::MessageInput in;
  api::MessageInputError error;
  ASSERT_TRUE(
      accepted(R"({"eventType":"a.b","eventId":"e1","payload":)" + payload + "}", in, error))
      << error.detail;
  EXPECT_EQ(in.payload, payload);
  EXPECT_EQ(in.event_id, "e1");
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{"x":01}})", in, error));
  EXPECT_EQ(error.status, 400);
  // Found by message_input_fuzz: a big number and no payload.
  EXPECT_FALSE(accepted(R"({"e":["x"],"payloaK":{"b":4444444444400000000404449219}})", in, error));
  EXPECT_EQ(error.status, 422);
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","eventId":123456789012345678901234,"payload":{}})",
                        in, error));
  EXPECT_EQ(error.status, 422);
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{"x":01},"y":1})", in, error));
  EXPECT_EQ(error.status, 400);
  EXPECT_TRUE(valid_json_allowing_big_numbers("[123456789012345678901234567890]"));
  EXPECT_FALSE(valid_json_allowing_big_numbers("[1,]"));
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

TEST(JsonLimits, UnknownMessageFieldsAreNamed) {
  api::MessageInput in;
  api::MessageInputError error;
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{},"evnetId":"x"})", in, error));
  EXPECT_EQ(error.detail.rfind("evnetId: unknown field", 0), 0u) << error.detail;
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{},"tags":["x"]})", in, error));
  EXPECT_EQ(error.detail, "tags: not supported by hookd (only null is accepted)");
  EXPECT_TRUE(accepted(R"({"eventType":"a.b","payload":{},"tags":null})", in, error));
}

}  // namespace
}  // namespace hookd
