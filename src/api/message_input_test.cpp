#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/message_input.h"
#include "common/json_limits.h"

// Message bodies against the limits on outside JSON (common/json_limits.h): nesting, integers
// beyond 64 bits, unknown fields.
namespace hookd {
namespace {

std::string nested(int levels, const std::string& leaf = "1") {
  std::string out;
  for (int i = 0; i < levels; ++i) out += "{\"a\":";
  out += leaf;
  out.append(static_cast<size_t>(levels), '}');
  return out;
}

bool accepted(const std::string& body, api::MessageInput& in, api::MessageInputError& error) {
  return api::parse_message_input(body, body.size(), in, error);
}

TEST(MessageInputLimits, MessageBodiesDeeperThanTheLimitAreA422NamingIt) {
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

TEST(MessageInputLimits, IntegersBeyond64BitsAreKeptVerbatim) {
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

TEST(MessageInputLimits, UnknownMessageFieldsAreNamed) {
  api::MessageInput in;
  api::MessageInputError error;
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{},"evnetId":"x"})", in, error));
  EXPECT_EQ(error.detail.rfind("evnetId: unknown field", 0), 0u) << error.detail;
  EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{},"tags":["x"]})", in, error));
  EXPECT_EQ(error.detail, "tags: not supported by hookd (only null is accepted)");
  EXPECT_TRUE(accepted(R"({"eventType":"a.b","payload":{},"tags":null})", in, error));
}

TEST(MessageInputLimits, AContactIsAKeyOfOneTo256Characters) {
  api::MessageInput in;
  api::MessageInputError error;
  ASSERT_TRUE(
      accepted(R"({"eventType":"a.b","payload":{},"contact":"ana@example.com"})", in, error));
  EXPECT_EQ(in.contact, "ana@example.com");
  api::MessageInput none;
  ASSERT_TRUE(accepted(R"({"eventType":"a.b","payload":{},"contact":null})", none, error));
  EXPECT_TRUE(none.contact.empty());
  const std::vector<std::string> bad_values = {R"("")", "7", '"' + std::string(257, 'x') + '"'};
  for (const auto& bad : bad_values) {
    api::MessageInput out;
    EXPECT_FALSE(accepted(R"({"eventType":"a.b","payload":{},"contact":)" + bad + "}", out, error));
    EXPECT_EQ(error.detail.rfind("contact: ", 0), 0u) << error.detail;
  }
}

}  // namespace
}  // namespace hookd
