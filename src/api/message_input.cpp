#include "api/message_input.h"

#include <simdjson.h>

#include <algorithm>

#include "common/json_limits.h"

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

namespace {

// Fields of Svix's MessageIn that hookd does not implement: accepted only when null.
constexpr std::string_view kUnsupported[] = {"application", "payloadRetentionPeriod",
                                             "payloadRetentionHours", "tags",
                                             "transformationsParams"};

bool read_channels(simdjson::dom::element value, MessageInput& out, MessageInputError& error) {
  simdjson::dom::array channels;
  if (value.get_array().get(channels)) {
    return fail(error, 422, "channels: must be an array of strings");
  }
  for (auto c : channels) {
    std::string_view v;
    if (c.get_string().get(v) || !is_valid_name(v)) {
      return fail(error, 422,
                  "channels: each channel must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
    }
    out.channels.emplace_back(v);
  }
  if (out.channels.size() > 10) return fail(error, 422, "channels: at most 10 channels");
  return true;
}

bool read_field(std::string_view key, simdjson::dom::element value, MessageInput& out,
                bool& has_payload, MessageInputError& error) {
  std::string_view v;
  if (key == "eventType") {
    if (value.get_string().get(v)) return fail(error, 422, "eventType: must be a string");
    if (!is_valid_name(v)) {
      return fail(error, 422, "eventType: must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
    }
    out.event_type = v;
  } else if (key == "eventId") {
    if (value.is_null()) return true;
    if (value.get_string().get(v)) return fail(error, 422, "eventId: must be a string");
    if (v.empty() || v.size() > 256)
      return fail(error, 422, "eventId: must be 1 to 256 characters");
    out.event_id = v;
  } else if (key == "channels") {
    return value.is_null() || read_channels(value, out, error);
  } else if (key == "contact") {
    if (value.is_null()) return true;
    if (value.get_string().get(v) || v.empty() || v.size() > 256) {
      return fail(error, 422, "contact: must be a contact key of 1 to 256 characters");
    }
    out.contact = v;
  } else if (key == "payload") {
    if (!value.is_object()) return fail(error, 422, "payload: must be a JSON object");
    has_payload = true;
  } else if (std::find(std::begin(kUnsupported), std::end(kUnsupported), key) !=
             std::end(kUnsupported)) {
    if (!value.is_null()) {
      return fail(error, 422,
                  std::string(key) + ": not supported by hookd (only null is accepted)");
    }
  } else {
    return fail(error, 422,
                std::string(key) +
                    ": unknown field (a message has eventType, eventId, channels, "
                    "contact and payload)");
  }
  return true;
}

bool read_top_level(simdjson::dom::element root, MessageInput& out, MessageInputError& error) {
  if (!root.is_object()) return fail(error, 422, "body: must be a JSON object");
  bool has_payload = false;
  for (auto field : simdjson::dom::object(root)) {
    if (!read_field(field.key, field.value, out, has_payload, error)) return false;
  }
  if (out.event_type.empty()) return fail(error, 422, "eventType: required");
  if (!has_payload) return fail(error, 422, "payload: required");
  return true;
}

// The raw span of the last "payload" member (On-Demand: numbers are skipped, not parsed).
bool extract_payload(simdjson::padded_string_view input, std::string_view& raw,
                     MessageInputError& error) {
  using namespace simdjson;
  thread_local ondemand::parser extractor;
  ondemand::document doc;
  if (extractor.iterate(input).get(doc)) return fail(error, 400, "body: malformed JSON");
  ondemand::object object;
  if (doc.get_object().get(object)) return fail(error, 422, "body: must be a JSON object");
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail(error, 400, "body: malformed JSON");
    if (key != "payload") continue;
    ondemand::object payload;
    if (field.value().get_object().get(payload) || payload.raw_json().get(raw)) {
      return fail(error, 422, "payload: must be a JSON object");
    }
    // raw_json() runs to the next token, so it carries the whitespace after the closing brace.
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    // A repeated key: the last one wins, as in the DOM pass.
  }
  return true;
}

// A body simdjson refused for a number beyond 64 bits: valid JSON all the same when
// nlohmann's parser accepts it. The payload's span is taken as is and the rest of the body
// (with "payload": {}) read by the usual path.
bool parse_with_big_numbers(simdjson::padded_string_view input, MessageInput& out,
                            MessageInputError& error) {
  const std::string_view body(input.data(), input.length());
  if (!valid_json_allowing_big_numbers(body)) {
    return fail(error, 400, "body: malformed JSON: Problem while parsing a number");
  }
  std::string_view raw;
  if (!extract_payload(input, raw, error)) return false;
  if (raw.data() == nullptr) {
    return fail(error, 422, "body: a number beyond 64 bits outside payload, or payload missing");
  }
  const size_t at = static_cast<size_t>(raw.data() - body.data());
  const simdjson::padded_string rest(std::string(body.substr(0, at)) + "{}" +
                                     std::string(body.substr(at + raw.size())));
  simdjson::dom::element root;
  if (auto err = depth_limited_parser().parse(rest).get(root)) {
    return fail(error, 422,
                std::string("body: ") + simdjson::error_message(err) +
                    " (integers beyond 64 bits are accepted in payload only)");
  }
  if (!read_top_level(root, out, error)) return false;
  out.payload.assign(raw.data(), raw.size());
  return true;
}

}  // namespace

bool parse_message_input(std::string_view body, size_t capacity, MessageInput& out,
                         MessageInputError& error) {
  using namespace simdjson;
  // Full validation first (the DOM parser checks every byte, and the nesting); then On-Demand
  // to take the raw span of "payload", so the payload is stored and sent exactly as the client
  // wrote it.
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
  if (auto err = depth_limited_parser().parse(input.data(), input.length(), false).get(root)) {
    if (err == NUMBER_ERROR) {
      return parse_with_big_numbers(input, out, error);
    }
    if (err == DEPTH_ERROR) return fail(error, 422, "body: " + nesting_detail());
    return fail(error, 400, std::string("body: malformed JSON: ") + error_message(err));
  }
  if (!read_top_level(root, out, error)) return false;
  std::string_view raw;
  if (!extract_payload(input, raw, error)) return false;
  out.payload.assign(raw.data(), raw.size());
  return true;
}

}  // namespace hookd::api
