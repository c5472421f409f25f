#include "signing/asymmetric.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "signing/signature.h"

namespace hookd::signing {
namespace {

// Verifies `signature` of `data` with the PEM public key, through OpenSSL directly.
bool openssl_verifies(const std::string& public_pem, KeyType type, const std::string& data,
                      const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, type == KeyType::kRsa ? EVP_sha256() : nullptr, nullptr,
                           key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

TEST(SigningKey, Ed25519SignsV1aAndSurvivesPem) {
  auto key = SigningKey::generate(KeyType::kEd25519);
  auto again = SigningKey::from_pem(KeyType::kEd25519, key->private_pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_whpk(), key->public_whpk());
  EXPECT_EQ(key->public_whpk().size(), 5u + 44u);  // whpk_ + base64 of 32 bytes
  const std::string header = sign_v1a(*again, "msg_1", 1614265330, R"({"a":1})");
  ASSERT_TRUE(header.starts_with("v1a,"));
  const auto raw = base64_decode(header.substr(4));
  ASSERT_TRUE(raw);
  EXPECT_TRUE(
      openssl_verifies(key->public_pem(), KeyType::kEd25519, R"(msg_1.1614265330.{"a":1})", *raw));
  EXPECT_FALSE(
      openssl_verifies(key->public_pem(), KeyType::kEd25519, R"(msg_1.1614265330.{"a":2})", *raw));
}

TEST(SigningKey, RsaSignsTheBodyAndShowsItsXmlKey) {
  auto key = SigningKey::generate(KeyType::kRsa);
  const std::string signature = key->sign("hello");
  EXPECT_EQ(signature.size(), 256u);  // 2048 bits
  EXPECT_TRUE(openssl_verifies(key->public_pem(), KeyType::kRsa, "hello", signature));
  EXPECT_TRUE(key->public_xml().starts_with("<RSAKeyValue><Modulus>"));
  EXPECT_TRUE(key->public_xml().ends_with("</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>"));
  EXPECT_FALSE(SigningKey::from_pem(KeyType::kEd25519, key->private_pem()));  // wrong type
  EXPECT_FALSE(SigningKey::from_pem(KeyType::kRsa, "not a key"));
}

}  // namespace
}  // namespace hookd::signing
