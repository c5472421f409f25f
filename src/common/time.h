#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookd {

// Wall-clock milliseconds since the Unix epoch.
int64_t now_unix_ms();

// Monotonic milliseconds, for durations and timers.
int64_t now_steady_ms();

// RFC 3339 UTC with milliseconds: "2026-11-25T13:19:07.123Z".
std::string format_rfc3339(int64_t unix_ms);

// Parses RFC 3339 / ISO 8601 timestamps with an optional fraction and a 'Z' or +hh:mm offset.
std::optional<int64_t> parse_rfc3339(std::string_view text);

// Parses a duration such as "250ms", "5s", "5m", "2h" or a bare number of seconds.
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace hookd
