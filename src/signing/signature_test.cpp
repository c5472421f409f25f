#include "signing/signature.h"

#include <gtest/gtest.h>

namespace hookd::signing {
namespace {

TEST(Signature, MatchesStandardWebhooksPublishedVector) {
  const auto key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(sign_v1(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signature, ChangesWithEveryInput) {
  const std::string key(24, 'k');
  const auto base = sign_v1(key, "msg_1", 1, "{}");
  EXPECT_NE(base, sign_v1(key, "msg_2", 1, "{}"));
  EXPECT_NE(base, sign_v1(key, "msg_1", 2, "{}"));
  EXPECT_NE(base, sign_v1(key, "msg_1", 1, "{ }"));
  EXPECT_NE(base, sign_v1(std::string(24, 'j'), "msg_1", 1, "{}"));
}

TEST(Signature, HeaderHasOneEntryPerKey) {
  const std::string a(24, 'a'), b(32, 'b');
  const auto header = signature_header({a, b}, "msg_x", 10, "{}");
  EXPECT_EQ(header, sign_v1(a, "msg_x", 10, "{}") + " " + sign_v1(b, "msg_x", 10, "{}"));
}

TEST(Secret, GeneratedSecretsDecodeAndDiffer) {
  const auto s1 = generate_secret();
  const auto s2 = generate_secret();
  EXPECT_NE(s1, s2);
  ASSERT_TRUE(s1.starts_with("whsec_"));
  const auto key = decode_secret(s1);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 24u);
}

TEST(Secret, RejectsMalformedSecrets) {
  EXPECT_FALSE(decode_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  EXPECT_FALSE(decode_secret("whsec_"));
  EXPECT_FALSE(decode_secret("whsec_c2hvcnQ="));  // "short": under 24 bytes
  EXPECT_FALSE(decode_secret("whsec_!!!!MfKQ9r8GKYqrTwjUPD8ILPZIo2La"));
  EXPECT_FALSE(decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"));  // bad length
}

TEST(Base64, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    const auto encoded = base64_encode(bytes);
    const auto decoded = base64_decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("a=bc"));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("token", "token"));
  EXPECT_FALSE(constant_time_equal("token", "tokeN"));
  EXPECT_FALSE(constant_time_equal("token", "token1"));
}

}  // namespace
}  // namespace hookd::signing
