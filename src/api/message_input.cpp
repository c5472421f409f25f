#include "api/message_input.h"

#include <simdjson.h>

namespace hookd::api {

namespace {

bool fail(MessageInputError& error, int status, std::string detail) {
  error.status = status;
  error.detail = std::move(detail);
  return false;
}

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool parse_message_input(std::string_view body, size_t capacity, MessageInput& out,
                         MessageInputError& error) {
  using namespace simdjson;
  // Full validation first (the DOM parser checks every byte); then On-Demand to take the raw
  // span of "payload", so the payload is stored and sent exactly as the client wrote it.
  thread_local dom::parser validator;
  thread_local ondemand::parser extractor;
  const bool padded = capacity >= body.size() + SIMDJSON_PADDING;
  padded_string copy;
  padded_string_view input;
  if (padded) {
    input = padded_string_view(body.data(), body.size(), capacity);
  } else {
    copy = padded_string(body);
    input = copy;
  }

  dom::element root;
  if (auto err = validator.parse(input.data(), input.length(), false).get(root)) {
    return fail(error, 400, std::string("body: malformed JSON: ") + error_message(err));
  }
  if (!root.is_object()) return fail(error, 422, "body: must be a JSON object");

  bool has_payload = false;
  for (auto field : dom::object(root)) {
    const std::string_view key = field.key;
    if (key == "eventType") {
      std::string_view v;
      if (field.value.get_string().get(v)) return fail(error, 422, "eventType: must be a string");
      if (!is_valid_name(v)) {
        return fail(error, 422, "eventType: must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
      }
      out.event_type = v;
    } else if (key == "eventId") {
      if (field.value.is_null()) continue;
      std::string_view v;
      if (field.value.get_string().get(v)) return fail(error, 422, "eventId: must be a string");
      if (v.empty() || v.size() > 256) {
        return fail(error, 422, "eventId: must be 1 to 256 characters");
      }
      out.event_id = v;
    } else if (key == "channels") {
      if (field.value.is_null()) continue;
      dom::array channels;
      if (field.value.get_array().get(channels)) {
        return fail(error, 422, "channels: must be an array of strings");
      }
      for (auto c : channels) {
        std::string_view v;
        if (c.get_string().get(v) || !is_valid_name(v)) {
          return fail(error, 422,
                      "channels: each channel must be 1 to 256 characters of "
                      "A-Z a-z 0-9 _ . - :");
        }
        out.channels.emplace_back(v);
      }
      if (out.channels.size() > 10) return fail(error, 422, "channels: at most 10 channels");
    } else if (key == "payload") {
      if (!field.value.is_object()) return fail(error, 422, "payload: must be a JSON object");
      has_payload = true;
    }
  }
  if (out.event_type.empty()) return fail(error, 422, "eventType: required");
  if (!has_payload) return fail(error, 422, "payload: required");

  ondemand::document doc;
  if (extractor.iterate(input).get(doc)) return fail(error, 400, "body: malformed JSON");
  ondemand::object object;
  if (doc.get_object().get(object)) return fail(error, 422, "body: must be a JSON object");
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail(error, 400, "body: malformed JSON");
    if (key != "payload") continue;
    ondemand::object payload;
    std::string_view raw;
    if (field.value().get_object().get(payload) || payload.raw_json().get(raw)) {
      return fail(error, 422, "payload: must be a JSON object");
    }
    // raw_json() runs to the next token, so it carries the whitespace after the closing brace.
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    out.payload.assign(raw.data(), raw.size());
    // A repeated key: the last one wins, as in the DOM pass above.
  }
  return true;
}

}  // namespace hookd::api
