// Fuzzes what JSON from outside meets first, with the two shapes that used to stop the server
// amplified: deep nesting and regular expressions over long values. The first byte picks a
// nesting depth (0 to 1,020 levels) wrapped around the rest of the input as a message payload
// and as an API body; the rest, split at the first NUL, is also a $regex pattern and a value
// repeated to about 40 KiB that the compiled filter is matched against.
#include <simdjson.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/http.h"
#include "api/json_io.h"
#include "api/message_input.h"
#include "common/json_limits.h"
#include "filter/filter.h"

namespace {

void message_body(const std::string& doc, int depth) {
  std::string body = R"({"eventType":"a.b","payload":{"x":)" + doc + "}}";
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  hookd::api::MessageInput input;
  hookd::api::MessageInputError error;
  const bool ok = hookd::api::parse_message_input(body, body.capacity(), input, error);
  // Past the limit nothing is accepted, whatever the bytes.
  if (ok && depth + 2 > hookd::max_json_depth()) __builtin_trap();
  if (!ok && error.detail.empty()) __builtin_trap();
}

void api_body(const std::string& doc) {
  hookd::api::HttpRequest req;
  req.body = R"({"metadata":)" + doc + "}";
  try {
    const auto body = hookd::api::parse_body(req);
    (void)hookd::api::read_object(body, "metadata");  // re-serialises: recursive
  } catch (const hookd::api::ApiError&) {
  }
}

void regex_filter(std::string_view pattern, std::string_view value) {
  const nlohmann::json filter = {{"v", {{"$regex", std::string(pattern)}}}};
  auto compiled = hookd::PayloadFilter::compile(
      filter.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!compiled) return;
  std::string long_value;
  while (!value.empty() && long_value.size() < 40'000) long_value += value;
  const nlohmann::json payload = {{"v", long_value}};
  (void)compiled.value()->matches(
      payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int depth = data[0] * 4;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string doc(static_cast<size_t>(depth), '[');
  doc += rest.empty() ? std::string_view("1") : rest;
  doc.append(static_cast<size_t>(depth), ']');
  message_body(doc, depth);
  api_body(doc);
  const auto split = rest.find('\0');
  regex_filter(rest.substr(0, split),
               split == std::string_view::npos ? rest : rest.substr(split + 1));
  return 0;
}
