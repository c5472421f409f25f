#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

// The dashboard's sign-in sessions (docs/dashboard.md, "Signing in"). A token pasted once (or
// the one in an app portal link) becomes a random session id, which the browser keeps in an
// HttpOnly, SameSite=Strict cookie: the page's scripts never hold the token afterwards, and it
// appears in no URL. The table maps the id to the token's secret, in this process's memory
// only; each request through a session is then authenticated as if it carried that secret, so
// revoking or expiring the token ends its sessions at once. Every session also has a CSRF
// token, which state-changing requests must send back in X-CSRF-Token.
// Thread-safe: any thread may call every member.
namespace hookd::dashboard {

struct Session {
  std::string secret;  // the API token's secret
  std::string csrf;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;
};

struct SessionLimits {
  int64_t idle_ms = 12LL * 3'600'000;      // unused this long: ended
  int64_t lifetime_ms = 7LL * 86'400'000;  // at most this long, however used
  size_t max_sessions = 10'000;            // beyond: the least recently used one ends
};

class Sessions final {
 public:
  explicit Sessions(SessionLimits limits = {}) : limits_(limits) {}

  struct Opened {
    std::string id;
    std::string csrf;
  };
  // A new session for the token with this secret.
  Opened open(std::string secret, int64_t now_ms);
  // The session with this id while it lasts; marks it used.
  std::optional<Session> find(std::string_view id, int64_t now_ms);
  void close(std::string_view id);
  size_t size() const;

 private:
  bool live(const Session& session, int64_t now_ms) const;
  void make_room(int64_t now_ms);  // holds mutex_

  const SessionLimits limits_;
  mutable std::mutex mutex_;
  // By the SHA-256 of the id, as tokens are kept: what a lookup's timing could reveal is a
  // hash, of no use without the id.
  std::map<std::string, Session, std::less<>> sessions_;
};

inline constexpr std::string_view kSessionCookie = "hookd_session";

// The Set-Cookie value that keeps session `id`: Path=/ (the API is under /api/v1/), HttpOnly,
// SameSite=Strict, and Secure when hookd is reached over https.
std::string session_cookie(std::string_view id, bool secure);
// The Set-Cookie value that makes the browser forget the session.
std::string cleared_session_cookie(bool secure);
// The value of the session cookie in a Cookie header ("a=1; hookd_session=..."), or empty.
std::string_view session_in_cookies(std::string_view cookie_header);

}  // namespace hookd::dashboard
