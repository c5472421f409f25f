#include "signing/diagnosis.h"

#include <gtest/gtest.h>

#include "signing/signature.h"

namespace hookd::signing {
namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kBody = "{\"type\": \"cart.abandoned\",\n  \"data\": {\"note\": \"a b\"}}\n";

struct Signed {
  std::string secret = generate_secret();
  ReceivedRequest request;
};

Signed signed_request(int64_t ts = kNow, const std::string& body = kBody) {
  Signed s;
  const std::string key = *decode_secret(s.secret);
  s.request = {"msg_1", std::to_string(ts), signature_header({key}, "msg_1", ts, body), body};
  return s;
}

bool has_finding(const Diagnosis& d, const std::string& part) {
  for (const auto& f : d.findings) {
    if (f.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST(SignatureDiagnosisTest, ARequestAsSentVerifiesWithTheSecretThatSignedIt) {
  const Signed s = signed_request();
  const std::string other = generate_secret();
  const Diagnosis d = diagnose(s.request, {{"previous", other}, {"current", s.secret}}, kNow + 5);
  EXPECT_TRUE(d.verified);
  EXPECT_TRUE(d.fresh);
  EXPECT_EQ(d.matched, "current");
  EXPECT_EQ(d.verdict, "The signature verifies with the current secret.");
  EXPECT_TRUE(d.findings.empty());
  // Without its whsec_ prefix the secret is the same key.
  EXPECT_TRUE(diagnose(s.request, {{"given", s.secret.substr(6)}}, kNow).verified);
}

TEST(SignatureDiagnosisTest, AnotherSecretDoesNotVerify) {
  const Signed s = signed_request();
  const Diagnosis d = diagnose(s.request, {{"given", generate_secret()}}, kNow);
  EXPECT_FALSE(d.verified);
  EXPECT_EQ(d.verdict, "The signature does not verify.");
  EXPECT_TRUE(has_finding(d, "the secret is not the one that signed this"));
}

TEST(SignatureDiagnosisTest, ABodyChangedAfterSigningIsNamedWithHow) {
  Signed s = signed_request();
  s.request.body = kBody + "\n";
  Diagnosis d = diagnose(s.request, {{"current", s.secret}}, kNow);
  EXPECT_FALSE(d.verified);
  EXPECT_EQ(d.verdict, "The signature does not verify: the body was changed after signing.");
  EXPECT_TRUE(has_finding(d, "whitespace or a newline was added at its end")) << d.findings[0];

  Signed compact = signed_request(kNow, "{\"a\":1,\"b\":\"x y\"}");
  compact.request.body = "{\n  \"a\": 1,\n  \"b\": \"x y\"\n}";  // pretty-printed on the way
  d = diagnose(compact.request, {{"current", compact.secret}}, kNow);
  EXPECT_TRUE(has_finding(d, "the JSON was re-formatted")) << d.findings[0];

  Signed lf = signed_request(kNow, "a\nb");
  lf.request.body = "a\r\nb";
  d = diagnose(lf.request, {{"current", lf.secret}}, kNow);
  EXPECT_TRUE(has_finding(d, "line endings")) << d.findings[0];

  // A change none of the variants undoes is a plain mismatch.
  s.request.body = "{}";
  d = diagnose(s.request, {{"current", s.secret}}, kNow);
  EXPECT_TRUE(has_finding(d, "no entry matches"));
}

TEST(SignatureDiagnosisTest, AnOldTimestampIsReportedAndTheSignatureStillChecked) {
  const Signed s = signed_request(kNow - 900);
  const Diagnosis d = diagnose(s.request, {{"current", s.secret}}, kNow);
  EXPECT_TRUE(d.verified);
  EXPECT_FALSE(d.fresh);
  EXPECT_TRUE(has_finding(d, "900 s old, outside the 300 s"));
  EXPECT_NE(d.verdict.find("receivers refuse it"), std::string::npos);
  EXPECT_TRUE(has_finding(diagnose(signed_request(kNow + 400).request, {}, kNow), "in the future"));
}

TEST(SignatureDiagnosisTest, MissingOrMalformedPartsSayWhichCannotBeChecked) {
  Signed s = signed_request();
  ReceivedRequest no_id = s.request;
  no_id.id.clear();
  Diagnosis d = diagnose(no_id, {{"current", s.secret}}, kNow);
  EXPECT_EQ(d.verdict, "Cannot be checked: webhook-id is missing.");
  ReceivedRequest ms = s.request;
  ms.timestamp = std::to_string(kNow * 1000);
  d = diagnose(ms, {{"current", s.secret}}, kNow);
  EXPECT_TRUE(has_finding(d, "looks like milliseconds"));
  ReceivedRequest text = s.request;
  text.timestamp = "yesterday";
  EXPECT_EQ(diagnose(text, {{"current", s.secret}}, kNow).verdict,
            "Cannot be checked: webhook-timestamp is missing or not a number.");
  d = diagnose(s.request, {{"given", "whsec_!!"}}, kNow);
  EXPECT_EQ(d.verdict, "Cannot be checked: there is no usable secret.");
  EXPECT_TRUE(has_finding(d, "secret (given): not a signing secret"));
  ReceivedRequest asymmetric = s.request;
  asymmetric.signature = "v1a,AAAA";
  EXPECT_TRUE(has_finding(diagnose(asymmetric, {{"current", s.secret}}, kNow), "no \"v1,\" entry"));
}

TEST(SignatureDiagnosisTest, CompactJsonKeepsStringsAsTheyAre) {
  EXPECT_EQ(compact_json_text("{ \"a b\" : [1, 2],\n\"c\\\" d\": \" \" }"),
            "{\"a b\":[1,2],\"c\\\" d\":\" \"}");
  EXPECT_EQ(compact_json_text("{\"open"), std::nullopt);
  EXPECT_EQ(compact_json_text(""), "");
}

}  // namespace
}  // namespace hookd::signing
