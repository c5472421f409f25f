#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hookd {

class SecretBoxError final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Seals secrets for storage (endpoint secrets and signing keys, basic-auth passwords, inbound
// source secrets) with AES-256-GCM under the configured key (secret_encryption_key), so the
// SQLite file holds no secret in plain text. A sealed value reads
// "enc:v1:<key id>:<base64 of 12-byte nonce, ciphertext, 16-byte tag>", the key id being the
// first 8 hex digits of SHA-256 of the key, and the "enc:v1:<key id>" prefix is authenticated.
// Values are sealed with the current key and opened with the key their id names: the current
// one or a previous one (secret_encryption_previous_keys), which is how keys rotate. A value
// without the prefix is plain text (written before a key was set) and reads as it is.
//
// Used when documents are written and read, never per delivery. Immutable after construction;
// safe to share across threads.
class SecretBox final {
 public:
  // No key: seal() stores plain text and open() refuses sealed values.
  SecretBox() = default;

  // Keys as base64 of 32 bytes; `previous` may be empty. Throws std::invalid_argument naming
  // what is wrong (the caller prefixes the setting's name).
  static SecretBox from_keys(std::string_view current, const std::vector<std::string>& previous);

  bool enabled() const { return current_.has_value(); }
  const std::string& key_id() const;  // empty without a key

  // Empty stays empty (nothing to hide).
  std::string seal(std::string_view plain) const;
  // Throws SecretBoxError when the value was sealed with a key hookd does not have, or does not
  // open (tampered with, truncated).
  std::string open(std::string_view stored) const;
  static bool is_sealed(std::string_view stored);

 private:
  struct Key {
    std::string id;
    std::array<uint8_t, 32> bytes{};
  };
  static Key parse_key(std::string_view base64);
  const Key* find(std::string_view id) const;

  std::optional<Key> current_;
  std::vector<Key> previous_;
};

}  // namespace hookd
