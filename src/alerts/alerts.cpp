#include "alerts/alerts.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "alerts/email.h"
#include "alerts/smtp.h"
#include "common/time.h"

namespace hookd::alerts {

namespace {

constexpr size_t kMaxEndpoints = 100'000;
constexpr size_t kMaxOutbox = 1'000;
constexpr std::array<int64_t, 3> kRetryDelaysMs = {10'000, 60'000, 300'000};
constexpr int64_t kMaxWaitMs = 60'000;  // re-reads the clock at least this often

}  // namespace

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
