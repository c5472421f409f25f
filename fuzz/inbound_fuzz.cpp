// Fuzzes what parses an inbound webhook request: the body decoder (JSON and forms), the Skalin
// event validator and the de-duplication key reader. The first byte picks the content type.
#include <cstdint>
#include <string>
#include <string_view>

#include "inbound/inbound.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kTypes[] = {"application/json", "",
                                                "application/x-www-form-urlencoded",
                                                "application/vnd.api+json", "text/plain"};
  const std::string_view content_type = kTypes[data[0] % 5];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string json, type;
  if (auto refusal = hookd::inbound::decode_body(content_type, body, json, type)) {
    if (refusal->problem.message().empty() || (refusal->status != 400 && refusal->status != 415)) {
      __builtin_trap();
    }
    return 0;
  }
  hookd::inbound::SkalinEvent event;
  if (auto refusal = hookd::inbound::parse_skalin(json, event)) {
    if (refusal->problem.message().empty() || (refusal->status != 400 && refusal->status != 422)) {
      __builtin_trap();
    }
  } else if (event.event_id.empty() || event.customer_id.empty() || event.name.empty() ||
             (event.score && (*event.score < 1 || *event.score > 5)) ||
             (!event.ts.empty() && !event.ts_unix_ms)) {
    __builtin_trap();
  }
  (void)hookd::inbound::top_level_key(json, "id");
  return 0;
}
