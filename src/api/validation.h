#pragma once

#include <string>
#include <string_view>

#include "delivery/ssrf.h"

namespace hookd::api {

// Checks an endpoint URL: http or https, a host, and (for IP literals and "localhost") an
// address the policy permits. Returns an empty string when valid, else what is wrong.
// Hostnames are checked again after DNS resolution on every attempt.
std::string check_endpoint_url(std::string_view url, const AddressPolicy& policy);

// HTTP header names: RFC 9110 tokens of 1..256 characters.
bool is_http_token(std::string_view name);

// uids: 1..256 characters of [A-Za-z0-9_.-], and not shaped like a hookd id.
std::string check_uid(std::string_view uid);

}  // namespace hookd::api
