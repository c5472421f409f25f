#include "cli/receiver_tool.h"

#include <gtest/gtest.h>

namespace hookd::cli {
namespace {

// The Standard Webhooks published vector as a raw request.
constexpr std::string_view kSigned =
    "POST /hook HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 20\r\n"
    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\r\n"
    "webhook-timestamp: 1614265330\r\n"
    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=\r\n"
    "\r\n"
    "{\"test\": 2432232314}";
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

TEST(ReceiverTool, ParsesARawRequest) {
  std::string error;
  auto r = parse_raw_request(kSigned, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/hook");
  EXPECT_EQ(*r->header("content-type"), "application/json");
  EXPECT_EQ(r->body, "{\"test\": 2432232314}");
  EXPECT_FALSE(parse_raw_request("POST /x HTTP/1.1\r\nContent-Length: 9\r\n\r\nshort", error));
  EXPECT_EQ(error, "the body is shorter than its Content-Length");
  EXPECT_FALSE(parse_raw_request("no blank line", error));
}

TEST(ReceiverTool, ChecksSignatures) {
  std::string error;
  auto r = parse_raw_request(kSigned, error);
  ASSERT_TRUE(r);
  EXPECT_EQ(check_signature(*r, kSecret, 1614265330, 300), "");
  EXPECT_EQ(check_signature(*r, kSecret, 2000000000, -1), "");  // saved: age not checked
  EXPECT_EQ(check_signature(*r, kSecret, 1614265330 + 301, 300),
            "webhook-timestamp: 301 s away from now");
  EXPECT_EQ(check_signature(*r, "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=", 1614265330, 300),
            "no v1 signature matches this secret");
  r->body += " ";
  EXPECT_EQ(check_signature(*r, kSecret, 1614265330, 300), "no v1 signature matches this secret");
}

TEST(ReceiverTool, DescribesFormBodiesDecoded) {
  std::string error;
  auto r = parse_raw_request(
      "POST /f HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
      "data=%7B%22a%22%3A%20%22x%20y%22%7D",
      error);
  ASSERT_TRUE(r);
  const std::string text = describe(*r, "", true);
  EXPECT_NE(text.find("body (form, data= decoded):\n{\"a\": \"x y\"}\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("signature: verified"), std::string::npos);
}

TEST(ReceiverTool, SaysWhenTheSignatureWasNotChecked) {
  std::string error;
  auto r = parse_raw_request("POST /f HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", error);
  ASSERT_TRUE(r);
  EXPECT_NE(describe(*r, "", false).find("signature: not checked"), std::string::npos);
}

}  // namespace
}  // namespace hookd::cli
