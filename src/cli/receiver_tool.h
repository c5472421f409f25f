#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A receiver's tool (docs/endpoint-options.md, "Checking deliveries on your side"): `hookd listen`
// prints each request it receives and whether its signature verifies; `hookd verify` checks one
// saved request. The parsing and checking live here, apart from the sockets, to be tested.
namespace hookd::cli {

struct RawRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  const std::string* header(std::string_view lower_name) const;
};

// Parses "METHOD target HTTP/1.1\r\nName: value\r\n...\r\n\r\nbody" (LF line ends accepted).
// The body is what follows the blank line, cut to Content-Length when one is given; a shorter
// body is an error unless `headers_only` (reading the head of a request still arriving).
std::optional<RawRequest> parse_raw_request(std::string_view bytes, std::string& error,
                                            bool headers_only = false);

// The Standard Webhooks check of a request against a "whsec_" secret: empty when it verifies,
// else why not. `tolerance_s` < 0: the timestamp's age is not checked (saved requests).
std::string check_signature(const RawRequest& request, std::string_view secret, int64_t now_s,
                            int64_t tolerance_s);

// What `hookd listen` prints for one request: the request line, the headers, the body (a form's
// `data=` field decoded), and the signature verdict when a secret is given.
std::string describe(const RawRequest& request, const std::string& verdict, bool checked);

}  // namespace hookd::cli
