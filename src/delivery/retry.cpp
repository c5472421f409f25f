#include "delivery/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

#include "common/time.h"

namespace hookd {

RetrySchedule RetrySchedule::standard() {
  return RetrySchedule{{5'000, 300'000, 1'800'000, 7'200'000, 18'000'000, 36'000'000, 36'000'000},
                       0.2};
}

std::optional<RetrySchedule> RetrySchedule::parse(std::string_view text) {
  RetrySchedule schedule;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    const auto delay = parse_duration_ms(item);
    if (!delay) return std::nullopt;
    schedule.delays_ms.push_back(*delay);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return schedule;
}

std::optional<int64_t> next_retry_delay_ms(const RetrySchedule& schedule, int attempts_made,
                                           std::optional<int64_t> retry_after_ms,
                                           double unit_random) {
  if (attempts_made < 1 || attempts_made > static_cast<int>(schedule.delays_ms.size())) {
    return std::nullopt;
  }
  const double base = static_cast<double>(schedule.delays_ms[attempts_made - 1]);
  const double spread = base * schedule.jitter * (2.0 * unit_random - 1.0);
  auto delay = static_cast<int64_t>(std::llround(std::max(0.0, base + spread)));
  constexpr int64_t kMaxRetryAfterMs = 86'400'000;
  if (retry_after_ms && *retry_after_ms > delay)
    delay = std::min(*retry_after_ms, kMaxRetryAfterMs);
  return delay;
}

std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms) {
  constexpr std::string_view kSpace = " \t\r\n";
  while (!value.empty() && kSpace.find(value.front()) != std::string_view::npos)
    value.remove_prefix(1);
  while (!value.empty() && kSpace.find(value.back()) != std::string_view::npos)
    value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return seconds * 1000;
  }
  // HTTP date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  const std::string text(value);
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  const int64_t at = static_cast<int64_t>(timegm(&tm)) * 1000;
  return std::max<int64_t>(0, at - now_unix_ms);
}

}  // namespace hookd
