#include "common/json_limits.h"

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

std::string nesting_detail() {
  return "JSON nested deeper than " + std::to_string(max_json_depth()) +
         " levels (the max_json_depth setting)";
}

bool valid_json_allowing_big_numbers(std::string_view text) {
  if (nests_deeper_than(text, max_json_depth())) return false;
  return nlohmann::json::accept(text);
}

}  // namespace hookd
