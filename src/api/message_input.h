#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hookd::api {

// The body of POST /api/v1/app/{app}/msg, parsed on the I/O thread with simdjson.
struct MessageInput {
  std::string event_type;
  std::string event_id;  // empty when absent
  std::vector<std::string> channels;
  // hookd: the contact the message is about (docs/journeys.md): it also counts as an activity
  // of that contact, named after the event type. Empty when absent.
  std::string contact;
  std::string payload;  // the raw bytes of the "payload" object, exactly as they appeared
};

struct MessageInputError {
  int status = 422;  // 400 for malformed JSON
  std::string detail;
};

// Parses and validates the request body. `body` must have SIMDJSON_PADDING bytes of readable
// capacity after its end (the HTTP layer reserves them). Returns false and fills `error` when
// the body is not acceptable; the detail names the field.
bool parse_message_input(std::string_view body, size_t capacity, MessageInput& out,
                         MessageInputError& error);

// Names: event types and channels, 1..256 characters of [A-Za-z0-9_.-:].
bool is_valid_name(std::string_view name);

}  // namespace hookd::api
