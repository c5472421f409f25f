#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "alerts/alerts.h"

// The text of alert emails: what a failure, disabled or recovered email says, every value made
// one line and bounded. Pure functions, callable from any thread; used by the Alerter and by
// send_smtp. format_email (alerts.h) is the public entry point.
namespace hookd::alerts {

inline constexpr size_t kRecentFailures = 10;  // status codes and errors an email lists

// Removes CR, LF and other control characters (so no value can start a header or fake a line)
// and cuts at `max_bytes` on a UTF-8 boundary.
std::string one_line(std::string_view text, size_t max_bytes);

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

// The email for `failures` (possibly none) closed by a disabled or recovered event (or not).
Email compose(const FailureSummary& failures, const AlertEvent* closing,
              const Recipients& recipients);

}  // namespace hookd::alerts
