#include "common/json_limits.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>

namespace hookd {

namespace {
std::atomic<int> g_max_depth{kDefaultMaxJsonDepth};
}  // namespace

void set_max_json_depth(int levels) { g_max_depth.store(levels, std::memory_order_relaxed); }

int max_json_depth() { return g_max_depth.load(std::memory_order_relaxed); }

bool nests_deeper_than(std::string_view text, int levels) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > levels) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

simdjson::dom::parser& depth_limited_parser() {
  thread_local simdjson::dom::parser parser;
  // simdjson refuses a document whose depth reaches max_depth: one more than the levels allowed.
  const auto depth = static_cast<size_t>(max_json_depth()) + 1;
  if (parser.max_depth() != depth &&
      parser.allocate(std::max<size_t>(parser.capacity(), 1 << 16), depth) != simdjson::SUCCESS) {
    parser = simdjson::dom::parser();  // out of memory: the next parse says so
  }
  return parser;
}

std::string nesting_detail() {
  return "JSON nested deeper than " + std::to_string(max_json_depth()) +
         " levels (the max_json_depth setting)";
}

bool valid_json_allowing_big_numbers(std::string_view text) {
  if (nests_deeper_than(text, max_json_depth())) return false;
  return nlohmann::json::accept(text);
}

namespace {

// Whether the digit at `i` begins a number's integer part (not its fraction or exponent).
bool starts_integer_part(std::string_view text, size_t i) {
  if (i == 0) return true;
  const char before = text[i - 1];
  if ((before >= '0' && before <= '9') || before == '.' || before == 'e' || before == 'E' ||
      before == '+') {
    return false;
  }
  return !(before == '-' && i >= 2 && (text[i - 2] == 'e' || text[i - 2] == 'E'));
}

}  // namespace

std::string big_integers_as_doubles(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c < '0' || c > '9' || !starts_integer_part(text, i)) {
      out += c;
      continue;
    }
    size_t end = i;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const bool integer =
        end == text.size() || (text[end] != '.' && text[end] != 'e' && text[end] != 'E');
    if (integer && end - i > 19) {
      out += "1e" + std::to_string(end - i - 1);
    } else {
      out.append(text.substr(i, end - i));
    }
    i = end - 1;
  }
  return out;
}

}  // namespace hookd
