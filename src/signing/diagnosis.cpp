#include "signing/diagnosis.h"

#include <charconv>
#include <cstdlib>

#include "signing/signature.h"

namespace hookd::signing {

namespace {

// The key bytes of a secret, with or without its "whsec_" prefix.
std::optional<std::string> key_of(const std::string& secret) {
  if (auto key = decode_secret(secret)) return key;
  if (secret.starts_with("whsec_")) return std::nullopt;
  return decode_secret("whsec_" + secret);
}

std::optional<int64_t> parse_seconds(const std::string& text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_space(char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; }

std::string lf_line_endings(const std::string& body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    out.push_back(body[i]);
  }
  return out;
}

// Bodies the sender may have signed when the one received differs, and how it differs.
std::vector<std::pair<std::string, std::string>> body_variants(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](std::string variant, const char* how) {
    if (variant == body) return;
    for (const auto& [seen, _] : out) {
      if (seen == variant) return;
    }
    out.emplace_back(std::move(variant), how);
  };
  // The sender's body may have ended in whitespace too: each shorter ending is tried.
  std::string shorter = body;
  for (int i = 0; i < 8 && !shorter.empty() && is_space(shorter.back()); ++i) {
    shorter.pop_back();
    add(shorter, "whitespace or a newline was added at its end");
  }
  add(lf_line_endings(body), "its line endings were changed to CRLF");
  if (auto compact = compact_json_text(body)) add(*compact, "the JSON was re-formatted");
  return out;
}

// Problems with the headers and the timestamp; the timestamp when it is usable.
std::optional<int64_t> check_headers(const ReceivedRequest& request, int64_t now_s,
                                     std::vector<std::string>& findings) {
  if (request.id.empty()) findings.push_back("webhook-id: missing");
  if (request.signature.empty()) findings.push_back("webhook-signature: missing");
  if (request.timestamp.empty()) {
    findings.push_back("webhook-timestamp: missing");
    return std::nullopt;
  }
  const auto ts = parse_seconds(request.timestamp);
  if (!ts) {
    findings.push_back("webhook-timestamp: not a whole number of seconds since 1970");
    return std::nullopt;
  }
  if (*ts > 100'000'000'000) {
    findings.push_back("webhook-timestamp: looks like milliseconds; it is in seconds");
  }
  const int64_t skew = now_s - *ts;
  if (std::llabs(skew) > kTimestampToleranceS) {
    findings.push_back("webhook-timestamp: " + std::to_string(std::llabs(skew)) + " s " +
                       (skew > 0 ? "old" : "in the future") +
                       ", outside the 300 s receivers accept (a replay, a queued request, or a "
                       "clock that is off); the signature is checked all the same");
  }
  return ts;
}

}  // namespace

std::optional<std::string> compact_json_text(const std::string& body) {
  std::string out;
  out.reserve(body.size());
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < body.size()) {
        out.push_back(body[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      out.push_back(c);
    }
  }
  if (in_string) return std::nullopt;
  return out;
}

Diagnosis diagnose(const ReceivedRequest& request, const std::vector<CandidateSecret>& secrets,
                   int64_t now_s) {
  Diagnosis out;
  const auto ts = check_headers(request, now_s, out.findings);
  if (!request.signature.empty() && request.signature.find("v1,") == std::string::npos) {
    out.findings.push_back("webhook-signature: no \"v1,\" entry (HMAC); found \"" +
                           request.signature.substr(0, 40) + "\"");
  }
  std::vector<std::pair<std::string, std::string>> keys;  // label, key bytes
  for (const auto& candidate : secrets) {
    if (auto key = key_of(candidate.secret)) {
      keys.emplace_back(candidate.label, *key);
    } else {
      out.findings.push_back("secret (" + candidate.label +
                             "): not a signing secret; it is whsec_ followed by base64");
    }
  }
  if (secrets.empty()) out.findings.push_back("secret: none to check with");
  const char* blocking = request.id.empty()          ? "webhook-id is missing"
                         : request.signature.empty() ? "webhook-signature is missing"
                         : !ts          ? "webhook-timestamp is missing or not a number"
                         : keys.empty() ? "there is no usable secret"
                                        : nullptr;
  if (blocking != nullptr) {
    out.verdict = std::string("Cannot be checked: ") + blocking + ".";
    return out;
  }
  out.fresh = std::llabs(now_s - *ts) <= kTimestampToleranceS;
  for (const auto& [label, key] : keys) {
    if (matches_v1(key, request.id, *ts, request.body, request.signature)) {
      out.verified = true;
      out.matched = label;
      out.verdict = "The signature verifies with the " + label + " secret" +
                    (out.fresh ? "." : ", but receivers refuse it: its timestamp is too far off.");
      return out;
    }
  }
  for (const auto& [variant, how] : body_variants(request.body)) {
    for (const auto& [label, key] : keys) {
      if (matches_v1(key, request.id, *ts, variant, request.signature)) {
        out.findings.insert(out.findings.begin(),
                            "body: changed after it was signed: " + how +
                                "; verify the raw bytes as they arrived, before any parsing");
        out.verdict = "The signature does not verify: the body was changed after signing.";
        return out;
      }
    }
  }
  out.findings.insert(out.findings.begin(),
                      "webhook-signature: no entry matches: the secret is not the one that "
                      "signed this (after a rotation the old secret signs too, until its grace "
                      "period ends), or the id, timestamp or body were changed");
  out.verdict = "The signature does not verify.";
  return out;
}

}  // namespace hookd::signing
