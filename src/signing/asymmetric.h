#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

// Asymmetric signatures for endpoints (docs/endpoint-options.md, "Asymmetric signatures"):
// Ed25519 as Standard Webhooks' "v1a" scheme, and RSA-SHA256 (PKCS#1 v1.5) of the body in a
// header the owner names (Dialog Insight-style X-DI-Signature), with the public key downloadable as
// PEM and as .NET XML.
struct evp_pkey_st;

namespace hookd::signing {

enum class KeyType { kEd25519, kRsa };

// A private key, shared read-only between threads once made.
class SigningKey final {
 public:
  static std::shared_ptr<const SigningKey> generate(KeyType type);
  // From the PEM that to_pem() wrote; null when it does not parse.
  static std::shared_ptr<const SigningKey> from_pem(KeyType type, std::string_view pem);
  ~SigningKey();

  KeyType type() const { return type_; }
  std::string private_pem() const;
  std::string public_pem() const;
  // Ed25519: "whpk_" + base64 of the 32 raw bytes. RSA: empty.
  std::string public_whpk() const;
  // RSA: <RSAKeyValue><Modulus>...</Modulus><Exponent>...</Exponent></RSAKeyValue>. Ed25519: empty.
  std::string public_xml() const;
  // The raw signature of `data`: Ed25519, or RSA PKCS#1 v1.5 over SHA-256.
  std::string sign(std::string_view data) const;

 private:
  SigningKey(KeyType type, evp_pkey_st* key) : type_(type), key_(key) {}
  KeyType type_;
  evp_pkey_st* key_;
};

// "v1a,<base64 Ed25519 signature of id.timestamp.body>".
std::string sign_v1a(const SigningKey& key, std::string_view msg_id, int64_t timestamp_s,
                     std::string_view body);

}  // namespace hookd::signing
