#include "common/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "common/base64.h"

namespace hookd {

namespace {

constexpr std::string_view kPrefix = "enc:v1:";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

SecretBox::Key SecretBox::parse_key(std::string_view text) {
  const auto bytes = base64_decode(text);
  if (!bytes) throw std::invalid_argument("expected base64 of 32 bytes (openssl rand -base64 32)");
  if (bytes->size() != 32) {
    throw std::invalid_argument("expected 32 bytes in base64 (openssl rand -base64 32), got " +
                                std::to_string(bytes->size()) + " bytes");
  }
  Key key;
  std::copy(bytes->begin(), bytes->end(), key.bytes.begin());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(key.bytes.data(), key.bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 4; ++i) {
    key.id.push_back(kHex[digest[i] >> 4]);
    key.id.push_back(kHex[digest[i] & 15]);
  }
  return key;
}

SecretBox SecretBox::from_keys(std::string_view current, const std::vector<std::string>& previous) {
  SecretBox box;
  box.current_ = parse_key(current);
  for (const auto& text : previous) box.previous_.push_back(parse_key(text));
  return box;
}

const std::string& SecretBox::key_id() const {
  static const std::string kNone;
  return current_ ? current_->id : kNone;
}

const SecretBox::Key* SecretBox::find(std::string_view id) const {
  if (current_ && current_->id == id) return &*current_;
  for (const auto& key : previous_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

bool SecretBox::is_sealed(std::string_view stored) { return stored.starts_with(kPrefix); }

std::string SecretBox::seal(std::string_view plain) const {
  if (!current_ || plain.empty()) return std::string(plain);
  const std::string header = std::string(kPrefix) + current_->id;
  std::string out(kNonceBytes + plain.size() + kTagBytes, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(raw, kNonceBytes) != 1) throw SecretBoxError("secret_box: no random bytes");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, current_->bytes.data(), raw) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes_of(header),
                        static_cast<int>(header.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), raw + kNonceBytes, &n, bytes_of(plain),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), raw + kNonceBytes + n, &n) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          raw + kNonceBytes + plain.size()) == 1;
  if (!ok) throw SecretBoxError("secret_box: AES-256-GCM encryption failed");
  return header + ":" + base64_encode(out);
}

std::string SecretBox::open(std::string_view stored) const {
  if (!is_sealed(stored)) return std::string(stored);
  const auto rest = stored.substr(kPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) throw SecretBoxError("sealed secret: no key id");
  const auto id = rest.substr(0, colon);
  const Key* key = find(id);
  if (key == nullptr) {
    throw SecretBoxError("a secret is sealed with key " + std::string(id) +
                         ", which is neither secret_encryption_key nor one of "
                         "secret_encryption_previous_keys");
  }
  const auto sealed = base64_decode(rest.substr(colon + 1));
  if (!sealed || sealed->size() < kNonceBytes + kTagBytes) {
    throw SecretBoxError("sealed secret (key " + std::string(id) + "): truncated or not base64");
  }
  const std::string header(stored.substr(0, kPrefix.size() + colon));
  const auto* raw = bytes_of(*sealed);
  const size_t size = sealed->size() - kNonceBytes - kTagBytes;
  std::string plain(size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key->bytes.data(), raw) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes_of(header),
                        static_cast<int>(header.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &n, raw + kNonceBytes, static_cast<int>(size)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          const_cast<unsigned char*>(raw + kNonceBytes + size)) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + n, &n) == 1;
  if (!ok) {
    throw SecretBoxError("sealed secret (key " + std::string(id) +
                         ") does not open: altered, or sealed with another key of that id");
  }
  return plain;
}

}  // namespace hookd
