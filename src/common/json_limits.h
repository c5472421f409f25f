#pragma once

#include <string>
#include <string_view>

// Limits on JSON that comes from outside (API bodies, message payloads, inbound bodies, filters):
// how deep objects and arrays may nest (docs/configuration.md, `max_json_depth`). Every check
// here is a single loop over the bytes, with no recursion, so it is safe on any input; callers
// check before any recursive walk (parsing into nlohmann::json, re-serialising, filtering).
//
// set_max_json_depth() is called once at start, before other threads run; the rest is
// thread-safe.
namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace hookd {

inline constexpr int kDefaultMaxJsonDepth = 128;

void set_max_json_depth(int levels);
int max_json_depth();

// True when `text` nests objects and arrays more than `levels` deep ("{}" is one level, "[{}]"
// two). Brackets inside strings do not count. `text` need not be valid JSON.
bool nests_deeper_than(std::string_view text, int levels);

// The calling thread's simdjson DOM parser, set to refuse documents nested deeper than
// max_json_depth() with DEPTH_ERROR (checked while parsing: no extra pass over the bytes). One
// per thread, shared by its callers: a document it parsed is valid until its next parse.
simdjson::dom::parser& depth_limited_parser();

// "JSON nested deeper than 128 levels (the max_json_depth setting)", for an error's detail.
std::string nesting_detail();

// Whether `text` is valid JSON, allowing integers of any size (simdjson refuses integers beyond
// 64 bits with a number error; such payloads are valid and stored verbatim). Checks the nesting
// first and is iterative (nlohmann's SAX parser).
bool valid_json_allowing_big_numbers(std::string_view text);

// `text` with every integer of more than 19 digits written as a double of the same sign and
// magnitude (123...890, 30 digits, becomes 1e29), for parsers that refuse bigger integers: field
// checks and filters then see a number of the right size. The stored bytes stay the original.
std::string big_integers_as_doubles(std::string_view text);

}  // namespace hookd
