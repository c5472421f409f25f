// Fuzzes the hot-path parser of POST /api/v1/app/{app}/msg bodies.
#include <simdjson.h>

#include <cstdint>
#include <string>

#include "api/message_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  body.reserve(size + simdjson::SIMDJSON_PADDING);
  hookd::api::MessageInput input;
  hookd::api::MessageInputError error;
  if (hookd::api::parse_message_input(body, body.capacity(), input, error)) {
    // An accepted payload is an object whose bytes lie inside the body.
    if (input.payload.empty() || input.payload.front() != '{' || input.payload.back() != '}' ||
        body.find(input.payload) == std::string::npos || input.event_type.empty()) {
      __builtin_trap();
    }
  } else if (error.detail.empty() || (error.status != 400 && error.status != 422)) {
    __builtin_trap();
  }
  return 0;
}
