#include "inbound/inbound.h"

#include <gtest/gtest.h>

#include <map>

#include "signing/signature.h"

namespace hookd::inbound {
namespace {

std::optional<Refusal> skalin(std::string_view json, SkalinEvent& out) {
  return parse_skalin(json, out);
}

std::string skalin_detail(std::string_view json) {
  SkalinEvent event;
  auto refusal = parse_skalin(json, event);
  return refusal ? std::to_string(refusal->status) + " " + refusal->problem.message() : "ok";
}

TEST(Skalin, AcceptsTheDocumentedExample) {
  SkalinEvent e;
  ASSERT_FALSE(skalin(R"({"eventId":"e07595f29f1928y5","customerId":"customer1234",
      "event":{"name":"ActivationService","score":5}})",
                      e));
  EXPECT_EQ(e.event_id, "e07595f29f1928y5");
  EXPECT_EQ(e.customer_id, "customer1234");
  EXPECT_EQ(e.name, "ActivationService");
  EXPECT_EQ(e.score, 5);
  EXPECT_TRUE(e.ts.empty());
  EXPECT_FALSE(e.ts_unix_ms);
}

TEST(Skalin, ReadsOptionalFieldsAndStringScores) {
  SkalinEvent e;
  ASSERT_FALSE(skalin(R"({"eventId":"e07595f29f1928y5","customerId":"acme.example.com",
      "ts":"2021-05-08T12:00:05","localtime":"08:00:05","event":{"name":"Login","score":"4"}})",
                      e));
  EXPECT_EQ(e.score, 4);
  EXPECT_EQ(e.ts, "2021-05-08T12:00:05");
  EXPECT_EQ(e.ts_unix_ms, 1620475205000);
  EXPECT_EQ(e.localtime, "08:00:05");
  SkalinEvent without_score;
  ASSERT_FALSE(
      skalin(R"({"eventId":"e07595f29f1928y5","customerId":"c","ts":null,"event":{"name":"x"}})",
             without_score));
  EXPECT_FALSE(without_score.score);
}

TEST(Skalin, NamesTheFieldAndTheRule) {
  const std::map<std::string, std::string> cases = {
      {R"({"customerId":"c","event":{"name":"x"}})", "422 eventId: required"},
      {R"({"eventId":"e07595f29f1928y","customerId":"c","event":{"name":"x"}})",
       "422 eventId: must be exactly 16 characters (got 15)"},
      {R"({"eventId":"e07595f29f1928y55","customerId":"c","event":{"name":"x"}})",
       "422 eventId: must be exactly 16 characters (got 17)"},
      {R"({"eventId":1234567890123456,"customerId":"c","event":{"name":"x"}})",
       "422 eventId: must be a string of 16 characters"},
      {R"({"eventId":"e07595f29f1928y5","event":{"name":"x"}})", "422 customerId: required"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"a b","event":{"name":"x"}})",
       "422 customerId: must be a customer identifier or domain name, 1 to 255 characters of "
       "A-Z a-z 0-9 . _ - @ :"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c"})", "422 event: required"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","event":{}})", "422 event.name: required"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","event":{"name":"x","score":0}})",
       "422 event.score: must be an integer from 1 to 5, as a number or a numeric string (got "
       "0)"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","event":{"name":"x","score":6}})",
       "422 event.score: must be an integer from 1 to 5, as a number or a numeric string (got "
       "6)"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","event":{"name":"x","score":"abc"}})",
       "422 event.score: must be an integer from 1 to 5, as a number or a numeric string (got "
       "\"abc\")"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","event":{"name":"x","score":2.5}})",
       "422 event.score: must be an integer from 1 to 5, as a number or a numeric string (got "
       "2.5)"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","ts":"yesterday","event":{"name":"x"}})",
       "422 ts: must be a UTC timestamp like 2021-05-08T12:00:05 (got \"yesterday\")"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","ts":"2021-02-29T00:00:00",
           "event":{"name":"x"}})",
       "422 ts: must be a UTC timestamp like 2021-05-08T12:00:05 (got \"2021-02-29T00:00:00\")"},
      {R"({"eventId":"e07595f29f1928y5","customerId":"c","localtime":"8:00","event":{"name":"x"}})",
       "422 localtime: must be a time like 08:00:05 (got \"8:00\")"},
      {R"([1,2])", "422 body: must be a JSON object"},
  };
  for (const auto& [body, expected] : cases) EXPECT_EQ(skalin_detail(body), expected) << body;
  EXPECT_TRUE(skalin_detail("{not json").starts_with("400 body: not valid JSON"));
}

TEST(DecodeBody, JsonIsKeptAsSent) {
  std::string json, type;
  ASSERT_FALSE(decode_body("application/json; charset=utf-8", R"( {"a": 1} )", json, type));
  EXPECT_EQ(json, R"( {"a": 1} )");
  EXPECT_EQ(type, "application/json");
  ASSERT_FALSE(decode_body("", R"({"a":1})", json, type));  // a missing type reads as JSON
  auto refusal = decode_body("application/json", "{", json, type);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 400);
}

TEST(DecodeBody, FormDataFieldBecomesItsJson) {
  std::string json, type;
  ASSERT_FALSE(decode_body("application/x-www-form-urlencoded",
                           "data=%7B%22a%22%3A%5B1%2C2%5D%2C%22b%22%3A%22x+y%22%7D", json, type));
  EXPECT_EQ(json, R"({"a":[1,2],"b":"x y"})");
  EXPECT_EQ(type, "application/x-www-form-urlencoded");
  ASSERT_FALSE(decode_body("application/x-www-form-urlencoded", "name=Ada&city=Paris", json, type));
  EXPECT_EQ(json, R"({"city":"Paris","name":"Ada"})");
  auto refusal = decode_body("application/x-www-form-urlencoded", "data=%7Bnope", json, type);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 400);
  EXPECT_EQ(refusal->problem.field, "data");
  EXPECT_TRUE(refusal->problem.detail.starts_with("not valid JSON (")) << refusal->problem.detail;
  // curl -d sends JSON with the form type.
  ASSERT_FALSE(decode_body("application/x-www-form-urlencoded", R"({"a":1})", json, type));
  EXPECT_EQ(type, "application/json");
}

TEST(DecodeBody, OtherTypesAre415) {
  std::string json, type;
  auto refusal = decode_body("text/plain", "hello", json, type);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 415);
  EXPECT_EQ(refusal->problem.field, "Content-Type");
  EXPECT_NE(refusal->problem.detail.find("text/plain"), std::string::npos);
}

TEST(TopLevelKey, StringsAndNumbers) {
  EXPECT_EQ(top_level_key(R"({"id":"evt_1"})", "id"), "evt_1");
  EXPECT_EQ(top_level_key(R"({"id":42})", "id"), "42");
  EXPECT_FALSE(top_level_key(R"({"id":{"x":1}})", "id"));
  EXPECT_FALSE(top_level_key(R"({"other":1})", "id"));
  EXPECT_FALSE(top_level_key(R"(not json)", "id"));
}

TEST(Hmac, Rfc4231Vectors) {
  EXPECT_EQ(hex_encode(hmac("sha256", "Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(hmac("sha512", "Jefe", "what do ya want for nothing?")),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d"
            "034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

// verify()'s answer as text: "passes", or the problem's message.
std::string verdict(const std::optional<Problem>& problem) {
  return problem ? problem->message() : "passes";
}

// Headers for verify(), looked up by lower-case name.
struct Headers {
  std::map<std::string, std::string> values;
  HeaderLookup lookup() const {
    return [this](std::string_view name) -> const std::string* {
      auto it = values.find(std::string(name));
      return it == values.end() ? nullptr : &it->second;
    };
  }
};

TEST(Verify, HmacHexWithPrefix) {
  SourceVerification v;
  v.type = VerificationType::kHmac;
  v.header = "X-Hub-Signature-256";
  v.prefix = "sha256=";
  v.secret = "It's a Secret to Everybody";
  // GitHub's documented example.
  Headers h{{{"x-hub-signature-256",
              "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}};
  EXPECT_EQ(verdict(verify(v, h.lookup(), "Hello, World!", 0)), "passes");
  EXPECT_EQ(verdict(verify(v, h.lookup(), "Hello, World?", 0)),
            "X-Hub-Signature-256: signature does not match");
  Headers missing;
  EXPECT_EQ(verdict(verify(v, missing.lookup(), "Hello, World!", 0)),
            "X-Hub-Signature-256: header missing");
}

TEST(Verify, HmacSha512Base64WithTimestamp) {
  SourceVerification v;
  v.type = VerificationType::kHmac;
  v.header = "X-Signature";
  v.algorithm = "sha512";
  v.encoding = "base64";
  v.timestamp_header = "X-Timestamp";
  v.tolerance_s = 300;
  v.secret = "k3y";
  const std::string body = R"({"a":1})";
  const std::string sig = signing::base64_encode(hmac("sha512", "k3y", "1700000000." + body));
  Headers h{{{"x-signature", sig}, {"x-timestamp", "1700000000"}}};
  EXPECT_EQ(verdict(verify(v, h.lookup(), body, 1700000100)), "passes");
  EXPECT_EQ(verdict(verify(v, h.lookup(), body, 1700000301)),
            "X-Timestamp: outside the tolerance of 300 s");
}

TEST(Verify, StandardWebhooksPublishedVector) {
  SourceVerification v;
  v.type = VerificationType::kStandardWebhooks;
  v.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  Headers h{{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
             {"webhook-timestamp", "1614265330"},
             {"webhook-signature",
              "v1,bm9ldHUjKzFob2VudXRob2VodWUzMjRvdWVvdW9ldQo= "
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}}};
  EXPECT_EQ(verdict(verify(v, h.lookup(), R"({"test": 2432232314})", 1614265330)), "passes");
  EXPECT_EQ(verdict(verify(v, h.lookup(), R"({"test": 2432232315})", 1614265330)),
            "webhook-signature: no v1 signature matches");
  EXPECT_EQ(verdict(verify(v, h.lookup(), R"({"test": 2432232314})", 1614265330 + 301)),
            "webhook-timestamp: outside the tolerance of 300 s");
}

TEST(Verify, BasicAndApiKey) {
  SourceVerification basic;
  basic.type = VerificationType::kBasic;
  basic.username = "ada";
  basic.password = "s3cret";
  Headers good{{{"authorization", "Basic " + signing::base64_encode("ada:s3cret")}}};
  Headers bad{{{"authorization", "Basic " + signing::base64_encode("ada:guess")}}};
  EXPECT_EQ(verdict(verify(basic, good.lookup(), "", 0)), "passes");
  EXPECT_EQ(verdict(verify(basic, bad.lookup(), "", 0)),
            "Authorization: wrong username or password");

  SourceVerification key;
  key.type = VerificationType::kApiKey;
  key.header = "X-Api-Key";
  key.key = "k-123";
  Headers right{{{"x-api-key", "k-123"}}};
  Headers wrong{{{"x-api-key", "k-124"}}};
  EXPECT_EQ(verdict(verify(key, right.lookup(), "", 0)), "passes");
  EXPECT_EQ(verdict(verify(key, wrong.lookup(), "", 0)), "X-Api-Key: wrong key");
}

}  // namespace
}  // namespace hookd::inbound
