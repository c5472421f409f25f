#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hookd {

// When to try a failed delivery again. The first attempt is immediate; delays_ms[i] is the wait
// before attempt i + 2, so a schedule of n delays allows n + 1 attempts in all.
struct RetrySchedule {
  std::vector<int64_t> delays_ms;
  double jitter = 0.2;  // each delay is spread by up to this fraction either way

  // Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
  static RetrySchedule standard();
  // Parses "5s,5m,30m,2h" (units ms, s, m, h, d; a bare number is seconds).
  static std::optional<RetrySchedule> parse(std::string_view text);

  int max_attempts() const { return static_cast<int>(delays_ms.size()) + 1; }
};

// The delay before the next attempt after `attempts_made` attempts failed, or nullopt when the
// schedule is exhausted. `unit_random` in [0, 1) picks the jitter. A Retry-After asked for by
// the receiver replaces the scheduled delay when it is longer (capped at one day).
std::optional<int64_t> next_retry_delay_ms(const RetrySchedule& schedule, int attempts_made,
                                           std::optional<int64_t> retry_after_ms,
                                           double unit_random);

// Parses a Retry-After header value: delta-seconds or an HTTP date. nullopt when invalid.
std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms);

}  // namespace hookd
