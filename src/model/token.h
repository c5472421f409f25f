#pragma once

#include <cstdint>
#include <string>

// API tokens other than the configured admin token (docs/auth.md): the plain data hookd stores
// and the Catalog keeps in memory. Plain struct: copy it freely; no thread rules of its own.
namespace hookd {

struct ApiToken {
  std::string id;      // "tok_...": how lists, the audit log and revocation name it
  std::string name;    // for people; may be empty
  std::string app_id;  // the one application it may use; empty: every application
  bool read_only = false;
  std::string session_id;   // app portal tokens: the session they were made for; may be empty
  std::string secret_hash;  // lower-case hex SHA-256 of the secret; the secret is never stored
  int64_t created_at = 0;   // unix ms
  int64_t expires_at = 0;   // unix ms; 0: never
  int64_t revoked_at = 0;   // unix ms; 0: not revoked

  bool application_scoped() const { return !app_id.empty(); }
  bool expired(int64_t now_ms) const { return expires_at != 0 && now_ms >= expires_at; }
  bool usable(int64_t now_ms) const { return revoked_at == 0 && !expired(now_ms); }
};

}  // namespace hookd
