#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// The signature debugger (docs/dashboard.md, "Signature debugger"): given a request as a
// receiver got it and the secrets that may have signed it, says whether its Standard Webhooks
// "v1" signature verifies and, when it does not, why: a missing header, a timestamp outside the
// tolerance receivers apply, a malformed secret, a secret that is not the signing one, or a body
// changed after signing (trailing whitespace, line endings, re-formatted JSON: each is tried).
// Pure functions: any thread may call them.
namespace hookd::signing {

struct ReceivedRequest {
  std::string id;         // webhook-id (or svix-id)
  std::string timestamp;  // webhook-timestamp, unix seconds as text
  std::string signature;  // webhook-signature: "v1,<base64> v1,<base64> ..."
  std::string body;       // the raw bytes received
};

struct CandidateSecret {
  std::string label;   // how the answer names it: "current", "previous (until ...)", "given"
  std::string secret;  // "whsec_<base64>" (the prefix may be left out)
};

struct Diagnosis {
  bool verified = false;  // a v1 entry is the HMAC of id.timestamp.body with one of the secrets
  bool fresh = false;     // the timestamp is within kTimestampToleranceS of now
  std::string matched;    // the label of the secret that verifies; empty when none
  std::string verdict;    // one sentence
  std::vector<std::string> findings;  // every problem found, most important first
};

// Receivers refuse timestamps further than this from their clock (Standard Webhooks).
inline constexpr int64_t kTimestampToleranceS = 300;

Diagnosis diagnose(const ReceivedRequest& request, const std::vector<CandidateSecret>& secrets,
                   int64_t now_s);

// `body` with the whitespace outside JSON strings removed (how a re-formatted JSON body is
// tried against the signature); nullopt when a string is left open. Exposed for tests.
std::optional<std::string> compact_json_text(const std::string& body);

}  // namespace hookd::signing
