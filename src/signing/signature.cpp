#include "signing/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>

#include "common/random.h"

namespace hookd::signing {

std::string generate_secret() {
  std::array<uint8_t, 24> key{};
  fill_random(key.data(), key.size());
  return "whsec_" + base64_encode({reinterpret_cast<const char*>(key.data()), key.size()});
}

std::optional<std::string> decode_secret(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (!secret.starts_with(kPrefix)) return std::nullopt;
  auto key = base64_decode(secret.substr(kPrefix.size()));
  if (!key || key->size() < 24 || key->size() > 64) return std::nullopt;
  return key;
}

std::string sign_v1(std::string_view key, std::string_view msg_id, int64_t timestamp_s,
                    std::string_view body) {
  const std::string ts = std::to_string(timestamp_s);
  // One HMAC context per thread, re-keyed per call: creating a context per signature cost more
  // than the hashing of a typical payload.
  struct MacContext {
    MacContext() {
      EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      ctx = EVP_MAC_CTX_new(mac);
      EVP_MAC_free(mac);  // the context keeps its own reference
      // The digest is set once: naming it on every init would look it up every time.
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>("SHA256"), 0),
          OSSL_PARAM_construct_end()};
      EVP_MAC_CTX_set_params(ctx, params);
    }
    ~MacContext() { EVP_MAC_CTX_free(ctx); }
    EVP_MAC_CTX* ctx;
  };
  thread_local MacContext mac;
  std::array<unsigned char, 32> digest{};
  size_t digest_len = 0;
  EVP_MAC_CTX* mctx = mac.ctx;
  // HMAC over the three parts without concatenating the body into a new buffer.
  EVP_MAC_init(mctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr);
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(msg_id.data()), msg_id.size());
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>("."), 1);
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(ts.data()), ts.size());
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>("."), 1);
  EVP_MAC_update(mctx, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  EVP_MAC_final(mctx, digest.data(), &digest_len, digest.size());
  return "v1," + base64_encode({reinterpret_cast<const char*>(digest.data()), digest_len});
}

std::string signature_header(const std::vector<std::string>& keys, std::string_view msg_id,
                             int64_t timestamp_s, std::string_view body) {
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out.push_back(' ');
    out += sign_v1(key, msg_id, timestamp_s, body);
  }
  return out;
}

bool matches_v1(std::string_view key, std::string_view msg_id, int64_t timestamp_s,
                std::string_view body, std::string_view signature_header) {
  const std::string expected = sign_v1(key, msg_id, timestamp_s, body);
  std::string_view rest = signature_header;
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    if (constant_time_equal(rest.substr(0, space), expected)) return true;
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return false;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace hookd::signing
