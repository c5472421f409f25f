#include "alerts/alerts.h"

#include <curl/curl.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "common/random.h"
#include "common/time.h"
#include "common/url.h"

namespace hookd::alerts {

namespace {

constexpr size_t kRecentFailures = 10;    // status codes and errors an email lists
constexpr size_t kSubjectUrlBytes = 200;  // keeps the Subject line far below RFC 5322's 998
constexpr size_t kBodyValueBytes = 500;   // one value on one body line
constexpr size_t kMaxEndpoints = 100'000;
constexpr size_t kMaxOutbox = 1'000;
constexpr std::array<int64_t, 3> kRetryDelaysMs = {10'000, 60'000, 300'000};
constexpr int64_t kMaxWaitMs = 60'000;  // re-reads the clock at least this often

// Removes CR, LF and other control characters (so no value can start a header or fake a line)
// and cuts at `max_bytes` on a UTF-8 boundary.
std::string one_line(std::string_view text, size_t max_bytes) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;
    out.push_back(c);
  }
  if (out.size() <= max_bytes) return out;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
  out.resize(cut);
  return out + "...";
}

// The URL as it goes into a Subject: one line, ASCII only (bytes above 0x7f percent-encoded, as
// a URL may carry them), so the header needs no RFC 2047 encoding.
std::string subject_url(std::string_view url) {
  std::string out;
  for (const char c : one_line(url, kSubjectUrlBytes)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(c);
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      out += {'%', kHex[u >> 4], kHex[u & 0xf]};
    }
  }
  return out;
}

// What an email says about the failures it covers; bounded, however many there were.
struct FailureSummary {
  int64_t count = 0;
  int64_t first_at = 0;
  int64_t last_at = 0;
  std::deque<AlertEvent> recent;  // the last kRecentFailures, oldest first

  void add(const AlertEvent& e) {
    first_at = count == 0 ? e.at_ms : std::min(first_at, e.at_ms);
    last_at = count == 0 ? e.at_ms : std::max(last_at, e.at_ms);
    ++count;
    recent.push_back(e);
    if (recent.size() > kRecentFailures) recent.pop_front();
  }
};

std::string status_codes_line(const FailureSummary& f) {
  std::string out;
  for (const auto& e : f.recent) {
    if (!out.empty()) out += ", ";
    out += std::to_string(e.status_code);
    if (e.status_code == 0)
      out += " (" + one_line(e.error.empty() ? "network" : e.error, 100) + ")";
  }
  return out;
}

// Distinct errors of the recent failures, ordered by their last occurrence, most recent last.
std::string errors_line(const FailureSummary& f) {
  std::vector<std::string> errors;
  for (const auto& e : f.recent) {
    const std::string text = one_line(e.error.empty() ? "unknown" : e.error, 100);
    std::erase(errors, text);
    errors.push_back(text);
  }
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : ", ") + e;
  return out;
}

std::string explain_reason(const std::string& reason) {
  if (reason == "exhausted") return "exhausted (deliveries in a row used up all their retries)";
  if (reason == "failing") return "failing (its deliveries kept failing for too long)";
  if (reason == "gone") return "gone (the receiver answered 410 Gone)";
  return one_line(reason.empty() ? "unknown" : reason, 100);
}

// The email for `failures` (possibly none) closed by a disabled or recovered event (or not).
Email compose(const FailureSummary& failures, const AlertEvent* closing,
              const Recipients& recipients) {
  const AlertEvent& about = closing != nullptr ? *closing : failures.recent.back();
  const AlertKind kind = closing != nullptr ? closing->kind : AlertKind::kFailure;
  Email email;
  for (const auto& address : recipients.emails) {
    std::string clean = one_line(address, 320);
    if (!clean.empty() && std::find(email.to.begin(), email.to.end(), clean) == email.to.end()) {
      email.to.push_back(std::move(clean));
    }
  }
  const char* verb = kind == AlertKind::kFailure    ? "failing"
                     : kind == AlertKind::kDisabled ? "disabled"
                                                    : "recovered";
  // A password in the URL is not for email: "https://user:***@host/".
  const std::string url = redact_url(about.endpoint_url);
  email.subject = std::string("[hookd] Endpoint ") + verb + ": " + subject_url(url);

  std::string& b = email.body;
  if (kind == AlertKind::kFailure) b += "Deliveries to this endpoint are failing.\n\n";
  if (kind == AlertKind::kDisabled) b += "This endpoint was disabled.\n\n";
  if (kind == AlertKind::kRecovered) b += "Deliveries to this endpoint succeed again.\n\n";
  b += "Application: " + one_line(about.app_name, kBodyValueBytes) + " (" +
       one_line(about.app_id, kBodyValueBytes) + ")\n";
  b += "Endpoint: " + one_line(about.endpoint_id, kBodyValueBytes) + " (" +
       one_line(url, kBodyValueBytes) + ")\n";
  if (kind == AlertKind::kDisabled) {
    b += "Disabled at: " + format_rfc3339(about.at_ms) + "\n";
    b += "Reason: " + explain_reason(about.reason) + "\n";
  }
  if (kind == AlertKind::kRecovered) b += "Recovered at: " + format_rfc3339(about.at_ms) + "\n";
  if (failures.count > 0) {
    b += "Failed attempts: " + std::to_string(failures.count) + "\n";
    b += "Last status codes: " + status_codes_line(failures) + "\n";
    b += "Last errors: " + errors_line(failures) + "\n";
    if (!failures.recent.back().msg_id.empty()) {
      b += "Last message: " + one_line(failures.recent.back().msg_id, kBodyValueBytes) + "\n";
    }
    b += "First failure: " + format_rfc3339(failures.first_at) + "\n";
    b += "Last failure: " + format_rfc3339(failures.last_at) + "\n";
  } else if (kind == AlertKind::kDisabled) {
    b += "Failed attempts: none since the last email\n";
  }
  if (kind == AlertKind::kDisabled) {
    b += "\nhookd sends nothing to a disabled endpoint; its pending deliveries are kept. "
         "PATCH the endpoint with {\"disabled\": false} to resume them.\n";
  }
  return email;
}

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

// Sends one email over SMTP; returns the error, empty on success.
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

}  // namespace

Email format_email(const std::vector<AlertEvent>& events, const Recipients& recipients) {
  FailureSummary failures;
  const AlertEvent* closing = nullptr;
  for (const auto& e : events) {
    if (e.kind == AlertKind::kFailure) {
      failures.add(e);
      // Failing again after a recovery: a failure email, as the Alerter sends it.
      if (closing != nullptr && closing->kind == AlertKind::kRecovered) closing = nullptr;
    }
    if (e.kind == AlertKind::kDisabled) closing = &e;
    if (e.kind == AlertKind::kRecovered &&
        (closing == nullptr || closing->kind != AlertKind::kDisabled)) {
      closing = &e;
    }
  }
  if (closing == nullptr && failures.count == 0) return Email{};
  return compose(failures, closing, recipients);
}

// Shared by notify() callers, flush_due() callers and the alert thread: state under mu; emails
// are sent with mu released.
struct Alerter::Impl {
  // Per endpoint, guarded by mu.
  struct EndpointState {
    Recipients recipients;               // of the latest event
    FailureSummary failures;             // not emailed yet
    int64_t due_at = 0;                  // when `failures` go out (count > 0)
    std::optional<AlertEvent> recovery;  // a recovery waiting to go out with `failures`
    std::optional<int64_t> last_failure_email_at;
    bool alerted = false;  // a failure alert sent or pending since the last recovery
  };
  struct Outgoing {
    Email email;
    int attempts = 0;
    int64_t next_try_at = 0;
  };

  // Constant after construction.
  SmtpSettings settings;
  Intervals intervals;
  std::function<int64_t()> clock;
  std::function<bool(const Email&)> send;

  std::mutex mu;
  std::condition_variable cv;
  // Guarded by mu.
  std::unordered_map<std::string, EndpointState> endpoints;
  std::deque<Outgoing> outbox;
  bool stopping = false;
  bool warned_full = false;

  std::thread thread;

  bool enabled() const { return !settings.url.empty() || send != nullptr; }

  void queue_locked(Email email, int64_t now) {
    if (outbox.size() >= kMaxOutbox) {
      spdlog::error("alerts: {} emails waiting; dropping \"{}\"", outbox.size(),
                    outbox.front().email.subject);
      outbox.pop_front();
    }
    outbox.push_back({std::move(email), 0, now});
  }

  int64_t failures_due_at(const EndpointState& st, int64_t now) const {
    switch (st.recipients.frequency) {
      case Frequency::kHourly:
        return now + intervals.hourly_ms;
      case Frequency::kDaily:
        return now + intervals.daily_ms;
      case Frequency::kImmediate:
        break;
    }
    if (!st.last_failure_email_at) return now;
    return std::max(now, *st.last_failure_email_at + intervals.immediate_ms);
  }

  // Returns true when the next wake-up may have moved earlier.
  bool apply_locked(EndpointState& st, const AlertEvent& event, int64_t now) {
    switch (event.kind) {
      case AlertKind::kFailure: {
        st.alerted = true;
        st.recovery.reset();  // failing again: the waiting recovery is stale
        const bool first = st.failures.count == 0;
        if (first) st.due_at = failures_due_at(st, now);
        st.failures.add(event);
        return first;
      }
      case AlertKind::kDisabled:
        if (st.failures.count > 0) st.last_failure_email_at = now;
        queue_locked(compose(st.failures, &event, st.recipients), now);
        st.failures = {};
        st.recovery.reset();
        return true;
      case AlertKind::kRecovered:
        if (!st.alerted) return false;
        st.alerted = false;
        if (st.failures.count > 0) {
          st.recovery = event;  // goes out with the failures when they are due
          return false;
        }
        queue_locked(compose(st.failures, &event, st.recipients), now);
        return true;
    }
    return false;
  }

  void notify(AlertEvent event, const Recipients& recipients) {
    if (!enabled() || recipients.emails.empty()) return;
    const int64_t now = clock();
    if (event.at_ms == 0) event.at_ms = now;
    bool wake = false;
    {
      std::lock_guard lock(mu);
      auto it = endpoints.find(event.endpoint_id);
      if (it == endpoints.end()) {
        if (event.kind == AlertKind::kRecovered) return;  // nothing was alerted
        if (endpoints.size() >= kMaxEndpoints) {
          if (!warned_full) spdlog::error("alerts: {} endpoints tracked; dropping", kMaxEndpoints);
          warned_full = true;
          return;
        }
        it = endpoints.emplace(event.endpoint_id, EndpointState{}).first;
      }
      it->second.recipients = recipients;
      wake = apply_locked(it->second, event, now);
    }
    if (wake) cv.notify_one();
  }

  // Moves failure groups that are due into the outbox and forgets idle endpoints.
  void collect_due_locked(int64_t now) {
    for (auto it = endpoints.begin(); it != endpoints.end();) {
      EndpointState& st = it->second;
      if (st.failures.count > 0 && st.due_at <= now) {
        queue_locked(compose(st.failures, st.recovery ? &*st.recovery : nullptr, st.recipients),
                     now);
        st.failures = {};
        st.recovery.reset();
        st.last_failure_email_at = now;
      }
      const bool throttling =
          st.last_failure_email_at && *st.last_failure_email_at + intervals.immediate_ms > now;
      if (st.failures.count == 0 && !st.alerted && !throttling) {
        it = endpoints.erase(it);
      } else {
        ++it;
      }
    }
    if (endpoints.size() < kMaxEndpoints) warned_full = false;
  }

  std::optional<int64_t> next_wake_locked() const {
    std::optional<int64_t> next;
    auto consider = [&](int64_t t) { next = next ? std::min(*next, t) : t; };
    for (const auto& [id, st] : endpoints) {
      if (st.failures.count > 0) consider(st.due_at);
    }
    for (const auto& o : outbox) consider(o.next_try_at);
    return next;
  }

  std::string deliver(const Email& email, int64_t timeout_ms) {
    if (!send) return send_smtp(settings, email, clock(), timeout_ms);
    try {
      return send(email) ? std::string() : "the send function failed";
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  // Sends what is due now; failures are put back with a backoff, or dropped after the last try.
  void send_due() {
    std::vector<Outgoing> batch;
    {
      std::lock_guard lock(mu);
      const int64_t now = clock();
      collect_due_locked(now);
      for (auto it = outbox.begin(); it != outbox.end();) {
        if (it->next_try_at <= now) {
          batch.push_back(std::move(*it));
          it = outbox.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& o : batch) {
      const std::string error = deliver(o.email, settings.timeout_ms);
      if (error.empty()) continue;
      const auto attempt = static_cast<size_t>(++o.attempts);
      if (attempt > kRetryDelaysMs.size()) {
        spdlog::error("alerts: giving up on \"{}\" after {} attempts: {}", o.email.subject, attempt,
                      error);
        continue;
      }
      spdlog::warn("alerts: sending \"{}\" failed (attempt {}), retrying in {} s: {}",
                   o.email.subject, attempt, kRetryDelaysMs[attempt - 1] / 1000, error);
      std::lock_guard lock(mu);
      o.next_try_at = clock() + kRetryDelaysMs[attempt - 1];
      outbox.push_back(std::move(o));
    }
  }

  // At stop: one try for every email due or waiting for a retry, within settings.timeout_ms.
  void final_flush() {
    std::deque<Outgoing> last;
    size_t not_due = 0;
    {
      std::lock_guard lock(mu);
      collect_due_locked(clock());
      last.swap(outbox);
      for (const auto& [id, st] : endpoints) not_due += st.failures.count > 0 ? 1 : 0;
    }
    if (not_due > 0) {
      spdlog::warn("alerts: stopping; failure digests of {} endpoints were not due yet", not_due);
    }
    const int64_t deadline = now_steady_ms() + settings.timeout_ms;
    for (const auto& o : last) {
      const int64_t left = deadline - now_steady_ms();
      const std::string error = left > 0 ? deliver(o.email, left) : "stop timeout reached";
      if (!error.empty()) spdlog::error("alerts: dropping \"{}\": {}", o.email.subject, error);
    }
  }

  void run() {
    pthread_setname_np(pthread_self(), "hookd-alerts");
    std::unique_lock lock(mu);
    while (!stopping) {
      const int64_t now = clock();
      const auto next = next_wake_locked();
      if (next && *next <= now) {
        lock.unlock();
        send_due();
        lock.lock();
        continue;
      }
      const int64_t wait_ms = next ? std::min(*next - now, kMaxWaitMs) : kMaxWaitMs;
      cv.wait_for(lock, std::chrono::milliseconds(wait_ms));
    }
    lock.unlock();
    final_flush();
  }
};

Alerter::Alerter(SmtpSettings settings, Intervals intervals, std::function<int64_t()> clock,
                 std::function<bool(const Email&)> send)
    : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->intervals = intervals;
  impl_->clock = clock ? std::move(clock) : std::function<int64_t()>(now_unix_ms);
  impl_->send = std::move(send);
}

Alerter::~Alerter() { stop(); }

void Alerter::start() {
  if (!impl_->enabled() || impl_->thread.joinable()) return;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void Alerter::stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Alerter::enabled() const { return impl_->enabled(); }

void Alerter::notify(const AlertEvent& event, const Recipients& recipients) {
  impl_->notify(event, recipients);
}

void Alerter::flush_due() { impl_->send_due(); }

}  // namespace hookd::alerts
