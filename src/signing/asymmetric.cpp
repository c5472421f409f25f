#include "signing/asymmetric.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "signing/signature.h"

namespace hookd::signing {

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string bn_base64(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) return {};
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return base64_encode(bytes);
}

}  // namespace

std::shared_ptr<const SigningKey> SigningKey::generate(KeyType type) {
  EVP_PKEY* key = type == KeyType::kEd25519
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!key) throw std::runtime_error("key generation failed");
  return std::shared_ptr<const SigningKey>(new SigningKey(type, key));
}

std::shared_ptr<const SigningKey> SigningKey::from_pem(KeyType type, std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return nullptr;
  const bool matches =
      type == KeyType::kEd25519 ? EVP_PKEY_is_a(key, "ED25519") : EVP_PKEY_is_a(key, "RSA");
  if (!matches) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<const SigningKey>(new SigningKey(type, key));
}

SigningKey::~SigningKey() { EVP_PKEY_free(key_); }

std::string SigningKey::private_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio);
}

std::string SigningKey::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_);
  return bio_text(bio);
}

std::string SigningKey::public_whpk() const {
  if (type_ != KeyType::kEd25519) return {};
  unsigned char raw[32];
  size_t length = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key_, raw, &length) != 1) return {};
  return "whpk_" + base64_encode(std::string_view(reinterpret_cast<const char*>(raw), length));
}

std::string SigningKey::public_xml() const {
  if (type_ != KeyType::kRsa) return {};
  return "<RSAKeyValue><Modulus>" + bn_base64(key_, OSSL_PKEY_PARAM_RSA_N) +
         "</Modulus><Exponent>" + bn_base64(key_, OSSL_PKEY_PARAM_RSA_E) +
         "</Exponent></RSAKeyValue>";
}

std::string SigningKey::sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const EVP_MD* md = type_ == KeyType::kRsa ? EVP_sha256() : nullptr;
  size_t length = 0;
  std::string out;
  if (EVP_DigestSignInit(ctx, nullptr, md, nullptr, key_) == 1 &&
      EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) == 1) {
    out.resize(length);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      out.clear();
    } else {
      out.resize(length);
    }
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string sign_v1a(const SigningKey& key, std::string_view msg_id, int64_t timestamp_s,
                     std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return "v1a," + base64_encode(key.sign(content));
}

}  // namespace hookd::signing
