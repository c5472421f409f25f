// Fuzzes the journey definition parser: the input is a definition as a client would post it.
// A refusal must say why; a definition that parses must render (to_json) to JSON that parses
// again, to an equal definition.
#include <cstdint>
#include <string>
#include <string_view>

#include "journeys/definition.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  hookd::JourneyRefs refs;  // some targets exist and some do not, so both paths run
  refs.endpoint_exists = [](std::string_view id) { return id.substr(0, 3) == "ep_"; };
  refs.event_type_exists = [](std::string_view name) {
    return name.find('.') != std::string_view::npos;
  };
  const auto parsed = hookd::parse_journey_definition(input, refs);
  if (!parsed) {
    if (parsed.problem().detail.empty()) __builtin_trap();
    return 0;
  }
  const std::string rendered = hookd::to_json(parsed.value());
  const auto again = hookd::parse_journey_definition(rendered, refs);
  if (!again || !(again.value() == parsed.value())) __builtin_trap();
  return 0;
}
