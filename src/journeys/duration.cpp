#include "journeys/duration.h"

#include <charconv>
#include <utility>

#include "journeys/definition.h"

namespace hookd {

namespace {

constexpr std::pair<std::string_view, int64_t> kUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};

int64_t unit_scale(std::string_view unit) {
  for (const auto& [name, scale] : kUnits) {
    if (name == unit) return scale;
  }
  return 0;
}

}  // namespace

DurationCheck check_journey_duration_ms(int64_t ms) {
  if (ms <= 0) return DurationCheck::kNotPositive;
  if (ms > kMaxJourneyDurationMs) return DurationCheck::kTooLarge;
  return DurationCheck::kOk;
}

JourneyDuration parse_journey_duration(std::string_view text) {
  const char* const end = text.data() + text.size();
  int64_t count = 0;
  const auto [unit_start, ec] = std::from_chars(text.data(), end, count);
  if (ec == std::errc::invalid_argument) return {DurationCheck::kMalformed};  // no digits
  const auto unit = std::string_view(unit_start, static_cast<size_t>(end - unit_start));
  const int64_t scale = unit_scale(unit);
  if (scale == 0) return {DurationCheck::kMalformed};
  if (text.front() == '-') return {DurationCheck::kNotPositive};  // however large
  if (ec != std::errc() || count > kMaxJourneyDurationMs / scale) {
    return {DurationCheck::kTooLarge};
  }
  const int64_t ms = count * scale;
  const DurationCheck check = check_journey_duration_ms(ms);
  return {check, check == DurationCheck::kOk ? ms : 0};
}

std::string format_journey_duration(int64_t ms) {
  for (const auto& [name, scale] : kUnits) {
    if (ms != 0 && ms % scale == 0) return std::to_string(ms / scale) + std::string(name);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace hookd
