#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/problem.h"
#include "model/inbound.h"

// The receiving side (docs/inbound.md): decoding request bodies, validating the Skalin event
// format and checking a source's verification. Pure functions over bytes, so they are unit
// tested and fuzzed without a server.
namespace hookd::inbound {

// Why a request is refused, as the HTTP answer says it: the status, the error code and the
// problem (its message() is the answer's detail).
struct Refusal {
  int status = 422;
  std::string code = "validation";
  Problem problem;
};

// The body as JSON text. JSON bodies are validated and kept as sent; an
// application/x-www-form-urlencoded body whose `data` field holds JSON becomes that JSON, any
// other form becomes an object of its fields. `content_type` is the request's header (empty
// when missing: read as JSON). On success `normalized_type` is "application/json" or
// "application/x-www-form-urlencoded".
std::optional<Refusal> decode_body(std::string_view content_type, std::string_view body,
                                   std::string& json_out, std::string& normalized_type);

// The Skalin connector's event.
struct SkalinEvent {
  std::string event_id;
  std::string customer_id;
  std::string ts;         // empty when absent
  std::string localtime;  // empty when absent
  std::string name;
  std::optional<int> score;
  std::optional<int64_t> ts_unix_ms;  // ts read as UTC
};

// Validates `json` (a JSON document, as decode_body returns) against the Skalin rules; the
// refusal names the field and the rule.
std::optional<Refusal> parse_skalin(std::string_view json, SkalinEvent& out);

// The value of a top-level string or number field of a JSON object, for de-duplication keys.
std::optional<std::string> top_level_key(std::string_view json, std::string_view field);

// Looks up a request header by its lower-case name; null when absent.
using HeaderLookup = std::function<const std::string*(std::string_view)>;

// Checks the request against the source's verification. Nothing when it passes, else why it
// does not, naming the header (for the 401 and the rejection log).
std::optional<Problem> verify(const SourceVerification& verification, const HeaderLookup& header,
                              std::string_view body, int64_t now_s);

// HMAC of `data` with `key`; `algorithm` is "sha256" or "sha512". Raw digest bytes.
std::string hmac(std::string_view algorithm, std::string_view key, std::string_view data);
std::string hex_encode(std::string_view bytes);

}  // namespace hookd::inbound
