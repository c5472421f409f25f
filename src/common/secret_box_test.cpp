#include "common/secret_box.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

// Base64 of 32 bytes each (openssl rand -base64 32).
constexpr const char* kKeyA = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";
constexpr const char* kKeyB = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

TEST(SecretBox, SealsAndOpens) {
  const auto box = SecretBox::from_keys(kKeyA, {});
  const std::string sealed = box.seal("whsec_c2VjcmV0");
  EXPECT_TRUE(sealed.starts_with("enc:v1:" + box.key_id() + ":")) << sealed;
  EXPECT_EQ(sealed.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(box.open(sealed), "whsec_c2VjcmV0");
  EXPECT_NE(box.seal("whsec_c2VjcmV0"), sealed) << "a fresh nonce per value";
  EXPECT_EQ(box.seal(""), "");
  EXPECT_EQ(box.key_id().size(), 8u);
}

TEST(SecretBox, ReadsPlainTextWrittenBeforeAKeyWasSet) {
  const auto box = SecretBox::from_keys(kKeyA, {});
  EXPECT_EQ(box.open("whsec_plain"), "whsec_plain");
  const SecretBox none;
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.seal("whsec_plain"), "whsec_plain");
}

TEST(SecretBox, DetectsTampering) {
  const auto box = SecretBox::from_keys(kKeyA, {});
  std::string sealed = box.seal("a secret value");
  const size_t i = sealed.size() - 6;
  sealed[i] = sealed[i] == 'A' ? 'B' : 'A';
  EXPECT_THROW(box.open(sealed), SecretBoxError);
  EXPECT_THROW(box.open(sealed.substr(0, 20)), SecretBoxError);
}

TEST(SecretBox, RefusesAnUnknownKeyWithAClearError) {
  const std::string sealed = SecretBox::from_keys(kKeyA, {}).seal("x");
  try {
    SecretBox::from_keys(kKeyB, {}).open(sealed);
    FAIL() << "opened with the wrong key";
  } catch (const SecretBoxError& e) {
    EXPECT_NE(std::string(e.what()).find("secret_encryption_key"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SecretBox().open(sealed), SecretBoxError);
}

TEST(SecretBox, RotatesReadingWithAPreviousKeyWritingWithTheCurrentOne) {
  const auto old_box = SecretBox::from_keys(kKeyA, {});
  const std::string old_sealed = old_box.seal("rotate me");
  const auto box = SecretBox::from_keys(kKeyB, {kKeyA});
  EXPECT_EQ(box.open(old_sealed), "rotate me");
  const std::string resealed = box.seal(box.open(old_sealed));
  EXPECT_TRUE(resealed.starts_with("enc:v1:" + box.key_id() + ":"));
  EXPECT_NE(box.key_id(), old_box.key_id());
  EXPECT_THROW(old_box.open(resealed), SecretBoxError);
}

TEST(SecretBox, RefusesBadKeys) {
  EXPECT_THROW(SecretBox::from_keys("c2hvcnQ=", {}), std::invalid_argument);
  EXPECT_THROW(SecretBox::from_keys("not base64!", {}), std::invalid_argument);
  EXPECT_THROW(SecretBox::from_keys(kKeyA, {"c2hvcnQ="}), std::invalid_argument);
}

}  // namespace
}  // namespace hookd
