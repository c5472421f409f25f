#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

// Email alerts about failing endpoints (docs/failures.md, "Email alerts"), sent over SMTP with
// libcurl from a thread of their own, so neither delivery nor the API ever waits on a mail
// server.
namespace hookd::alerts {

struct SmtpSettings {
  std::string url;           // "smtp://host:port" or "smtps://host:port"; empty: alerts are off
  bool require_tls = false;  // STARTTLS required (CURLUSESSL_ALL)
  std::string username;
  std::string password;
  std::string from = "hookd@localhost";
  int64_t timeout_ms = 10'000;
};

enum class Frequency { kImmediate, kHourly, kDaily };

struct Intervals {
  int64_t immediate_ms = 60'000;  // at most one failure email per endpoint per this
  int64_t hourly_ms = 3'600'000;  // digest period of "hourly"
  int64_t daily_ms = 86'400'000;  // digest period of "daily"
};

enum class AlertKind { kFailure, kDisabled, kRecovered };

// One thing that happened to an endpoint.
struct AlertEvent {
  AlertKind kind = AlertKind::kFailure;
  std::string app_id;
  std::string app_name;
  std::string endpoint_id;
  std::string endpoint_url;
  int64_t at_ms = 0;    // unix ms
  int status_code = 0;  // failure: the receiver's status, 0 for a network error
  std::string error;    // failure: the error class or message ("http_status", "timeout"...)
  std::string msg_id;   // failure: the message of the attempt
  std::string reason;   // disabled: why ("exhausted", "failing", "gone")
};

// Who gets an endpoint's alerts and how often.
struct Recipients {
  std::vector<std::string> emails;  // empty: the event is dropped
  Frequency frequency = Frequency::kImmediate;
};

// A sent email, for logs and tests.
struct Email {
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // plain text
};

// Groups failures per endpoint by frequency and sends emails. Failure alerts: "immediate" sends
// at the first failure, then at most one email per Intervals::immediate_ms with what happened
// in between; "hourly"/"daily" collect from the first failure for their period and send one
// digest. Disabled and recovered alerts are sent at once. A recovered alert is sent only for
// an endpoint that had a failure alert sent (or pending) since its last recovery.
//
// Details: an endpoint's emails go to the recipients (and frequency) of its latest event. A
// disabled alert carries the endpoint's pending failures in the same email (none are left
// behind it). A recovery that finds failures still waiting for their interval joins them: one
// "recovered" email with those failures goes out when they are due, so a flapping endpoint gets
// no more email than its frequency allows; a failure after that recovery makes it a "failing"
// email again. Memory is bounded: an email lists the last 10 failures and counts the rest;
// at most 100,000 endpoints are tracked and 1,000 emails queued (the oldest is dropped).
// A failed send is logged and retried after 10 s, 1 min and 5 min, then dropped.
//
// Thread-safe. Emails are sent by the "hookd-alerts" thread (after start()) or by flush_due()'s
// caller, never by notify()'s.
class Alerter {
 public:
  // `clock` returns unix ms; tests pass a fake one. `send` replaces SMTP in unit tests; when
  // null, emails go to settings.url over SMTP.
  Alerter(SmtpSettings settings, Intervals intervals, std::function<int64_t()> clock = nullptr,
          std::function<bool(const Email&)> send = nullptr);
  ~Alerter();  // stops the thread; emails still due are sent first (bounded by the timeout)
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // Starts the alert thread (a no-op when not enabled or already started).
  void start();
  // Stops the thread after one last try (within SmtpSettings::timeout_ms in all) for every
  // email due or waiting for a retry; digests not yet due are dropped. Idempotent; an Alerter
  // is not restarted. Without start(), nothing is sent here.
  void stop();
  bool enabled() const;  // an SMTP url or a send function is set

  // Thread-safe, never blocks on the network.
  void notify(const AlertEvent& event, const Recipients& recipients);

  // For tests with a fake clock: sends whatever is due now, on the calling thread.
  void flush_due();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The email of a disabled or recovered event, or of a group of failures (first..last); pure
// formatting, unit tested.
Email format_email(const std::vector<AlertEvent>& events, const Recipients& recipients);

}  // namespace hookd::alerts
