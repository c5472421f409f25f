#include "alerts/smtp.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string_view>

#include "alerts/email.h"
#include "common/random.h"
#include "common/time.h"

namespace hookd::alerts {

namespace {

// "Tue, 25 Nov 2026 13:19:07 +0000" (RFC 5322 date-time), locale-independent.
std::string rfc5322_date(int64_t unix_ms) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string iso = format_rfc3339(unix_ms);  // "2026-11-25T13:19:07.123Z"
  const int64_t days = (unix_ms >= 0 ? unix_ms : unix_ms - 86'399'999) / 86'400'000;
  const auto weekday = static_cast<size_t>(((days + 4) % 7 + 7) % 7);  // 1970-01-01: Thursday
  const int month = std::stoi(iso.substr(5, 2));
  return std::string(kDays[weekday]) + ", " + iso.substr(8, 2) + " " +
         kMonths[static_cast<size_t>(month - 1)] + " " + iso.substr(0, 4) + " " +
         iso.substr(11, 8) + " +0000";
}

// The bare address of "Name <a@b>" or "a@b".
std::string envelope_address(const std::string& from) {
  const auto open = from.find('<');
  const auto close = from.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return one_line(from, 320);
  return one_line(from.substr(open + 1, close - open - 1), 320);
}

// The RFC 5322 message: CRLF line endings, lines far below 998 octets.
std::string render_message(const std::string& from, const Email& email, int64_t now_ms) {
  const std::string sender = envelope_address(from);
  const auto at = sender.rfind('@');
  const std::string domain = at == std::string::npos ? "hookd" : sender.substr(at + 1);
  std::string to;
  for (const auto& address : email.to) to += (to.empty() ? "" : ",\r\n ") + address;
  std::string m;
  m += "Date: " + rfc5322_date(now_ms) + "\r\n";
  m += "From: " + one_line(from, 320) + "\r\n";
  m += "To: " + to + "\r\n";
  m += "Subject: " + one_line(email.subject, 400) + "\r\n";
  m += "Message-ID: <" + random_hex(16) + "." + std::to_string(now_ms) + "@" + domain + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "\r\n";
  size_t line_bytes = 0;
  for (const char c : email.body) {
    if (c == '\r') continue;
    if (c == '\n' || line_bytes >= 990) {
      m += "\r\n";
      line_bytes = 0;
      if (c == '\n') continue;
    }
    m.push_back(c);
    ++line_bytes;
  }
  if (line_bytes > 0) m += "\r\n";
  return m;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* rest = static_cast<std::string_view*>(user);
  const size_t n = std::min(size * count, rest->size());
  std::memcpy(buffer, rest->data(), n);
  rest->remove_prefix(n);
  return n;
}

}  // namespace

std::string send_smtp(const SmtpSettings& s, const Email& email, int64_t now_ms,
                      int64_t timeout_ms) {
  const std::string message = render_message(s.from, email, now_ms);
  std::string_view rest = message;
  const std::string sender = envelope_address(s.from);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl_easy_init failed";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(nullptr, curl_slist_free_all);
  for (const auto& address : email.to) {
    curl_slist* next = curl_slist_append(rcpt.get(), address.c_str());
    if (next == nullptr) return "out of memory";
    rcpt.release();
    rcpt.reset(next);
  }
  std::array<char, CURL_ERROR_SIZE> error{};
  CURL* e = curl.get();
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(e, CURLOPT_URL, s.url.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_FROM, sender.c_str());
  curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(e, CURLOPT_READDATA, &rest);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  if (s.require_tls) curl_easy_setopt(e, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!s.username.empty()) curl_easy_setopt(e, CURLOPT_USERNAME, s.username.c_str());
  if (!s.password.empty()) curl_easy_setopt(e, CURLOPT_PASSWORD, s.password.c_str());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(timeout_ms, 1)));
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error.data());
  const CURLcode code = curl_easy_perform(e);
  if (code == CURLE_OK) return {};
  return std::string(curl_easy_strerror(code)) + (error[0] != '\0' ? ": " : "") + error.data();
}

}  // namespace hookd::alerts
