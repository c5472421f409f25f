#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.h"

// Standard Webhooks signing (https://www.standardwebhooks.com): the receiver recomputes
// HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>" with the endpoint's secret and
// compares it with one of the space-separated "v1,<base64>" entries of `webhook-signature`.
namespace hookd::signing {

using hookd::base64_decode;
using hookd::base64_encode;

// A new endpoint secret: "whsec_" + base64 of 24 random bytes.
std::string generate_secret();

// The key bytes of a "whsec_..." secret; nullopt unless it is "whsec_" + base64 of 24..64 bytes.
std::optional<std::string> decode_secret(std::string_view secret);

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
std::string sign_v1(std::string_view key, std::string_view msg_id, int64_t timestamp_s,
                    std::string_view body);

// The value of the webhook-signature header: one "v1,..." entry per key, space separated.
std::string signature_header(const std::vector<std::string>& keys, std::string_view msg_id,
                             int64_t timestamp_s, std::string_view body);

// Whether one of the space-separated entries of a webhook-signature header is the "v1,..."
// signature of id.timestamp.body with `key` (compared in constant time).
bool matches_v1(std::string_view key, std::string_view msg_id, int64_t timestamp_s,
                std::string_view body, std::string_view signature_header);

// Constant-time equality, for tokens and signatures.
bool constant_time_equal(std::string_view a, std::string_view b);

// Lower-case hex SHA-256 of `data` (how API token secrets are stored and looked up).
std::string sha256_hex(std::string_view data);

}  // namespace hookd::signing
