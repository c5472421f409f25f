// Fuzzes every small parser of outside text: query strings, paths, URLs, timestamps, durations,
// Retry-After values, CIDRs, secrets, base64, the dashboard's session cookie, and the signature
// debugger's reading of a pasted request.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http.h"
#include "api/validation.h"
#include "common/time.h"
#include "dashboard/sessions.h"
#include "delivery/retry.h"
#include "delivery/ssrf.h"
#include "signing/diagnosis.h"
#include "signing/signature.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hookd::api::parse_query(text);
  hookd::api::split_path(std::string(text));
  hookd::api::check_endpoint_url(text, hookd::AddressPolicy());
  hookd::api::check_uid(text);
  if (auto t = hookd::parse_rfc3339(text); t && *t >= 0 && *t < 253402300800000) {
    // Whatever parses formats back to something that parses to the same instant.
    if (hookd::parse_rfc3339(hookd::format_rfc3339(*t)) != t) __builtin_trap();
  }
  hookd::parse_duration_ms(text);
  hookd::parse_retry_after_ms(text, 0);
  hookd::RetrySchedule::parse(text);
  hookd::Cidr::parse(text);
  if (auto policy = hookd::AddressPolicy::from_allow_list(text); !policy) {
    if (policy.problem().detail.empty()) __builtin_trap();
  }
  if (auto decoded = hookd::signing::base64_decode(text)) {
    if (hookd::signing::base64_decode(hookd::signing::base64_encode(*decoded)) != decoded) {
      __builtin_trap();
    }
  }
  hookd::signing::decode_secret(text);
  // The session id is a part of the Cookie header, never with a separator in it.
  const std::string_view session = hookd::dashboard::session_in_cookies(text);
  if (session.find(';') != std::string_view::npos ||
      (!session.empty() && text.find(session) == std::string_view::npos)) {
    __builtin_trap();
  }
  if (auto compact = hookd::signing::compact_json_text(std::string(text));
      compact && compact->size() > text.size()) {
    __builtin_trap();
  }
  // A pasted request split on newlines: id, timestamp, signature, then the body.
  hookd::signing::ReceivedRequest request;
  std::string* parts[] = {&request.id, &request.timestamp, &request.signature, &request.body};
  size_t at = 0;
  for (std::string* part : parts) {
    const size_t end =
        part == &request.body ? text.size() : std::min(text.find('\n', at), text.size());
    if (at <= text.size()) *part = std::string(text.substr(at, end - at));
    at = end + 1;
  }
  const auto d = hookd::signing::diagnose(request, {{"given", request.signature}}, 1'700'000'000);
  if (d.verdict.empty() || (d.verified && d.matched != "given")) __builtin_trap();
  return 0;
}
