#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// Durations in journey definitions ("within", "duration"): a whole number and a unit, "500ms",
// "30s", "30m", "2h", "7d", or (read by the caller) a JSON integer of milliseconds; more than 0
// and at most kMaxJourneyDurationMs (365 days). Pure functions: any thread.
//
// Not common/time.h's parse_duration_ms: that one reads a bare number as seconds (a string "30"
// would mean 30 s where the JSON integer 30 means 30 ms), accepts fractions and spaces, and its
// conversion of a huge value ("1e300d") to int64_t is undefined behaviour.
namespace hookd {

enum class DurationCheck { kOk, kMalformed, kNotPositive, kTooLarge };

struct JourneyDuration {
  DurationCheck check = DurationCheck::kMalformed;
  int64_t ms = 0;  // when kOk
};

// "30m" -> {kOk, 1'800'000}; "0s", "-5m" -> kNotPositive; "400d" -> kTooLarge; "30", "1.5h",
// " 30m", "30 m" -> kMalformed.
JourneyDuration parse_journey_duration(std::string_view text);

// The range check alone, for an integer of milliseconds.
DurationCheck check_journey_duration_ms(int64_t ms);

// `ms` in the largest unit that divides it: 1'800'000 -> "30m", 1'500 -> "1500ms". Parses back to
// `ms`.
std::string format_journey_duration(int64_t ms);

}  // namespace hookd
