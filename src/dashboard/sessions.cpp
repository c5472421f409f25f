#include "dashboard/sessions.h"

#include "common/random.h"
#include "signing/signature.h"

namespace hookd::dashboard {

Sessions::Opened Sessions::open(std::string secret, int64_t now_ms) {
  Opened opened{random_hex(32), random_hex(32)};
  std::lock_guard lock(mutex_);
  make_room(now_ms);
  sessions_[signing::sha256_hex(opened.id)] =
      Session{std::move(secret), opened.csrf, now_ms, now_ms};
  return opened;
}

std::optional<Session> Sessions::find(std::string_view id, int64_t now_ms) {
  if (id.empty()) return std::nullopt;
  const std::string key = signing::sha256_hex(id);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  if (!live(it->second, now_ms)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used_ms = now_ms;
  return it->second;
}

void Sessions::close(std::string_view id) {
  const std::string key = signing::sha256_hex(id);
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(key); it != sessions_.end()) sessions_.erase(it);
}

size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

bool Sessions::live(const Session& session, int64_t now_ms) const {
  return now_ms - session.last_used_ms < limits_.idle_ms &&
         now_ms - session.created_ms < limits_.lifetime_ms;
}

// Drops ended sessions; when the table is still full, the least recently used one. Sign-in
// needs a valid token, so only token holders fill the table, and a scan when it is full is rare.
void Sessions::make_room(int64_t now_ms) {
  if (sessions_.size() < limits_.max_sessions) return;
  std::erase_if(sessions_, [&](const auto& entry) { return !live(entry.second, now_ms); });
  if (sessions_.size() < limits_.max_sessions) return;
  auto oldest = sessions_.begin();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->second.last_used_ms < oldest->second.last_used_ms) oldest = it;
  }
  sessions_.erase(oldest);
}

std::string session_cookie(std::string_view id, bool secure) {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(id) + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) cookie += "; Secure";
  return cookie;
}

std::string cleared_session_cookie(bool secure) {
  return session_cookie("", secure) + "; Max-Age=0";
}

std::string_view session_in_cookies(std::string_view header) {
  while (!header.empty()) {
    const size_t end = std::min(header.find(';'), header.size());
    std::string_view pair = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > kSessionCookie.size() && pair.starts_with(kSessionCookie) &&
        pair[kSessionCookie.size()] == '=') {
      return pair.substr(kSessionCookie.size() + 1);
    }
  }
  return {};
}

}  // namespace hookd::dashboard
