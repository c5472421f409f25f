#pragma once

#include <map>
#include <string>
#include <string_view>

namespace hookd {

// Percent-decoding as in URLs and forms ("+" reads as a space).
std::string percent_decode(std::string_view text);
// "a=1&b=x%20y" -> {a: 1, b: x y}; a repeated name keeps its last value.
std::map<std::string, std::string> parse_query(std::string_view query);
// The URL with the password of its userinfo replaced by "***" ("https://user:***@host/"; a
// userinfo without a password, which may be a token, becomes "***"), for logs and emails.
// Anything else, a text that is not a URL included, comes back unchanged.
std::string redact_url(std::string_view url);

}  // namespace hookd
