#include "alerts/email.h"

#include <algorithm>
#include <vector>

#include "common/time.h"
#include "common/url.h"

namespace hookd::alerts {

namespace {

constexpr size_t kSubjectUrlBytes = 200;  // keeps the Subject line far below RFC 5322's 998
constexpr size_t kBodyValueBytes = 500;   // one value on one body line

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

}  // namespace

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

}  // namespace hookd::alerts
