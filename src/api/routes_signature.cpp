// POST /api/v1/app/{app}/endpoint/{endpoint}/verify-signature: the signature debugger
// (signing/diagnosis.h). A pure computation over the request pasted in and the endpoint's
// secrets; nothing is stored or sent.
#include "api/api.h"
#include "api/json_io.h"
#include "common/time.h"
#include "signing/diagnosis.h"

namespace hookd::api {

namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

// The received request's signing headers, found case-insensitively, under the Standard
// Webhooks names or the svix-* ones.
signing::ReceivedRequest read_received(const json& body) {
  signing::ReceivedRequest out;
  auto body_text = read_string(body, "body", kMaxBodyBytes);
  if (!body_text) throw validation_error("body: required, the request body exactly as received");
  out.body = std::move(*body_text);
  auto headers = body.find("headers");
  if (headers == body.end() || !headers->is_object()) {
    throw validation_error("headers: required, an object of the received headers (name: value)");
  }
  for (const auto& [name, value] : headers->items()) {
    if (!value.is_string()) throw validation_error("headers: " + name + ": must be a string");
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string text = value.get<std::string>();
    if (lower == "webhook-id" || lower == "svix-id") out.id = text;
    if (lower == "webhook-timestamp" || lower == "svix-timestamp") out.timestamp = text;
    if (lower == "webhook-signature" || lower == "svix-signature") out.signature = text;
  }
  return out;
}

// The secret given in the body, or the endpoint's: the current one and those rotated out whose
// grace period has not ended.
std::vector<signing::CandidateSecret> candidates(const json& body, const Endpoint& ep) {
  if (auto given = read_string(body, "secret", 256); given && !given->empty()) {
    return {{"given", *given}};
  }
  if (ep.signing_type != "hmac") {
    throw validation_error("secret: endpoint " + ep.id + " signs with " + ep.signing_type +
                           ", not an HMAC secret; give the secret to check with");
  }
  std::vector<signing::CandidateSecret> out;
  for (const EndpointSecret& s : ep.secrets) {
    if (s.expires_at == 0) {
      out.push_back({"current", s.encoded});
    } else if (s.expires_at > now_unix_ms()) {
      out.push_back({"previous (signs until " + format_rfc3339(s.expires_at) + ")", s.encoded});
    }
  }
  return out;
}

}  // namespace

HttpResponse verify_signature(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_fields(body, {"headers", "body", "secret"});
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  const signing::Diagnosis d =
      signing::diagnose(read_received(body), candidates(body, *ep), now_unix_ms() / 1000);
  return json_response(
      200, dump(json{{"verified", d.verified},
                     {"timestampFresh", d.fresh},
                     {"matchedSecret", d.matched.empty() ? json(nullptr) : json(d.matched)},
                     {"verdict", d.verdict},
                     {"findings", d.findings}}));
}

}  // namespace hookd::api
