// Fuzzes the payload filter compiler and evaluator: the input is split at the first NUL into a
// filter (an endpoint owner's JSON) and a payload (a message's JSON).
#include <cstdint>
#include <string>
#include <string_view>

#include "filter/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\0');
  const std::string_view filter_text = input.substr(0, split);
  const std::string_view payload =
      split == std::string_view::npos ? std::string_view(R"({"a":1})") : input.substr(split + 1);
  auto filter = hookd::PayloadFilter::compile(filter_text);
  if (!filter) {
    const hookd::Problem& problem = filter.problem();
    if (problem.field != "filter" || problem.detail.empty()) __builtin_trap();
    return 0;
  }
  (void)filter.value()->matches(payload);
  return 0;
}
