#include "common/time.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace hookd {

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t now_steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days): pure
// arithmetic, no libc time zone lock; this runs for every message rendered.
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::string format_rfc3339(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const int64_t seconds = (unix_ms - ms) / 1000;
  const int64_t sec_of_day = ((seconds % 86400) + 86400) % 86400;
  const int64_t days = (seconds - sec_of_day) / 86400;
  int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, year, month, day);
  std::string out = "0000-00-00T00:00:00.000Z";
  put_digits(out.data(), static_cast<unsigned>(std::clamp<int64_t>(year, 0, 9999)), 4);
  put_digits(out.data() + 5, month, 2);
  put_digits(out.data() + 8, day, 2);
  put_digits(out.data() + 11, static_cast<unsigned>(sec_of_day / 3600), 2);
  put_digits(out.data() + 14, static_cast<unsigned>(sec_of_day / 60 % 60), 2);
  put_digits(out.data() + 17, static_cast<unsigned>(sec_of_day % 60), 2);
  put_digits(out.data() + 20, static_cast<unsigned>(ms), 3);
  return out;
}

namespace {

bool read_int(std::string_view& text, size_t digits, int& out) {
  if (text.size() < digits) return false;
  for (size_t i = 0; i < digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  std::from_chars(text.data(), text.data() + digits, out);
  text.remove_prefix(digits);
  return true;
}

bool expect(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_int(text, 4, year) || !expect(text, '-') || !read_int(text, 2, month) ||
      !expect(text, '-') || !read_int(text, 2, day)) {
    return std::nullopt;
  }
  if (text.empty() || (text.front() != 'T' && text.front() != 't' && text.front() != ' ')) {
    return std::nullopt;
  }
  text.remove_prefix(1);
  if (!read_int(text, 2, hour) || !expect(text, ':') || !read_int(text, 2, minute) ||
      !expect(text, ':') || !read_int(text, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return std::nullopt;
  int millis = 0;
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
    int scale = 100;
    size_t n = 0;
    while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
      millis += (text[n] - '0') * scale;
      scale /= 10;
      ++n;
    }
    if (n == 0) return std::nullopt;
    text.remove_prefix(n);
  }
  int offset_minutes = 0;
  if (!text.empty() && (text.front() == 'Z' || text.front() == 'z')) {
    text.remove_prefix(1);
  } else if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    const int sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
    int oh = 0, om = 0;
    if (!read_int(text, 2, oh) || !expect(text, ':') || !read_int(text, 2, om)) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (!text.empty()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_minutes * 60LL;
  return seconds * 1000 + millis;
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else if (unit == "d") {
    scale = 86'400'000;
  } else {
    return std::nullopt;
  }
  // Converting a double beyond int64_t's range (or NaN, or infinity) is undefined.
  const double ms = value * scale;
  if (!std::isfinite(ms) || ms >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(ms);
}

}  // namespace hookd
