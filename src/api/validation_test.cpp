#include "api/validation.h"

#include <gtest/gtest.h>

#include "api/message_input.h"

namespace hookd::api {
namespace {

TEST(EndpointUrl, AcceptsPublicHttpAndHttps) {
  const AddressPolicy policy;
  EXPECT_EQ(check_endpoint_url("https://example.com/hook", policy), "");
  EXPECT_EQ(check_endpoint_url("http://8.8.8.8:8080/x?y=1", policy), "");
}

TEST(EndpointUrl, NamesWhatIsWrong) {
  const AddressPolicy policy;
  EXPECT_EQ(check_endpoint_url("", policy), "url: required");
  EXPECT_EQ(check_endpoint_url("ftp://example.com/", policy), "url: scheme must be http or https");
  EXPECT_EQ(check_endpoint_url("not a url", policy), "url: not a valid absolute URL");
  EXPECT_EQ(check_endpoint_url("http:///path", policy), "url: host missing");
  EXPECT_EQ(check_endpoint_url("https://", policy), "url: host missing");
  EXPECT_NE(check_endpoint_url("http://127.0.0.1:9/", policy).find("127.0.0.1"), std::string::npos);
  EXPECT_NE(check_endpoint_url("http://10.0.0.1/", policy), "");
  EXPECT_NE(check_endpoint_url("http://[::1]/", policy), "");
  EXPECT_NE(check_endpoint_url("http://localhost:8080/", policy), "");
  EXPECT_NE(check_endpoint_url("http://169.254.169.254/latest", policy), "");
}

TEST(EndpointUrl, AllowListOpensLoopback) {
  const auto policy = AddressPolicy::from_allow_list("127.0.0.0/8");
  ASSERT_TRUE(policy);
  EXPECT_EQ(check_endpoint_url("http://127.0.0.1:9/", *policy), "");
  EXPECT_EQ(check_endpoint_url("http://localhost:9/", *policy), "");
  EXPECT_NE(check_endpoint_url("http://10.0.0.1/", *policy), "");
}

TEST(Uid, AllowsSafeCharactersOnly) {
  EXPECT_EQ(check_uid("customer-1_a.b"), "");
  EXPECT_NE(check_uid(""), "");
  EXPECT_NE(check_uid("has space"), "");
  EXPECT_NE(check_uid(std::string(257, 'a')), "");
}

MessageInput parse_ok(std::string_view body) {
  MessageInput in;
  MessageInputError error;
  EXPECT_TRUE(parse_message_input(body, body.size(), in, error)) << error.detail;
  return in;
}

MessageInputError parse_error(std::string_view body) {
  MessageInput in;
  MessageInputError error;
  EXPECT_FALSE(parse_message_input(body, body.size(), in, error));
  return error;
}

TEST(MessageInput, KeepsPayloadBytesVerbatim) {
  const auto in = parse_ok(
      R"({"eventType":"user.signup","eventId":"e1","channels":["eu"],"payload":{"a":  1,"b":[1, 2] ,"s":"\u00e9"}})");
  EXPECT_EQ(in.event_type, "user.signup");
  EXPECT_EQ(in.event_id, "e1");
  EXPECT_EQ(in.channels, (std::vector<std::string>{"eu"}));
  EXPECT_EQ(in.payload, R"({"a":  1,"b":[1, 2] ,"s":"\u00e9"})");
}

TEST(MessageInput, LeavesOutWhitespaceAroundThePayload) {
  const auto in =
      parse_ok("{ \"eventType\" : \"t\" ,\n  \"payload\" :  {\"a\":  1}\n , \"eventId\": \"e\" }");
  EXPECT_EQ(in.payload, "{\"a\":  1}");
  EXPECT_EQ(parse_ok("{\"eventType\":\"t\",\"payload\":{\"b\" : 2}\t\r\n}").payload, "{\"b\" : 2}");
}

TEST(MessageInput, NamesTheBadField) {
  EXPECT_EQ(parse_error(R"({"eventType":"a.b","payload":[1]})").detail,
            "payload: must be a JSON object");
  EXPECT_EQ(parse_error(R"({"payload":{}})").detail, "eventType: required");
  EXPECT_EQ(parse_error(R"({"eventType":"a.b"})").detail, "payload: required");
  EXPECT_EQ(parse_error(R"({"eventType":7,"payload":{}})").detail, "eventType: must be a string");
  EXPECT_EQ(parse_error(R"({"eventType":"a b","payload":{}})").status, 422);
  EXPECT_EQ(parse_error(R"({"eventType":"a.b","eventId":"","payload":{}})").status, 422);
  EXPECT_EQ(parse_error(R"({"eventType":"a.b","channels":"x","payload":{}})").detail,
            "channels: must be an array of strings");
}

TEST(MessageInput, MalformedJsonIs400) {
  EXPECT_EQ(parse_error(R"({"eventType":"a.b","payload":{"a":tru}})").status, 400);
  EXPECT_EQ(parse_error("{").status, 400);
  EXPECT_EQ(parse_error("").status, 400);
  EXPECT_EQ(parse_error("[1,2]").status, 422);
}

}  // namespace
}  // namespace hookd::api

#include "api/json_io.h"

namespace hookd::api {
namespace {

TEST(RenderMessage, IsValidJsonWithThePayloadVerbatim) {
  Message m;
  m.id = "msg_1";
  m.event_type = "a.b";
  m.event_id = "quote\" back\\ nl\n tab\t \x01";
  m.channels = {"eu", "us"};
  m.payload = R"({"x":  [1, 2]})";
  m.created_at = 1614265330123;
  const std::string text = render(m);
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["eventId"], m.event_id);
  EXPECT_EQ(parsed["channels"], nlohmann::json({"eu", "us"}));
  EXPECT_EQ(parsed["timestamp"], "2021-02-25T15:02:10.123Z");
  EXPECT_NE(text.find(R"("payload":{"x":  [1, 2]})"), std::string::npos);
  m.event_id.clear();
  m.channels.clear();
  const auto bare = nlohmann::json::parse(render(m));
  EXPECT_TRUE(bare["eventId"].is_null());
  EXPECT_TRUE(bare["channels"].is_null());
}

}  // namespace
}  // namespace hookd::api
