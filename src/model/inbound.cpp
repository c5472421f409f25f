#include "model/inbound.h"

#include <utility>

namespace hookd {

const char* kind_name(SourceKind kind) {
  return kind == SourceKind::kSkalin ? "skalin" : "generic";
}

std::optional<SourceKind> kind_from_name(std::string_view name) {
  if (name == "skalin") return SourceKind::kSkalin;
  if (name == "generic") return SourceKind::kGeneric;
  return std::nullopt;
}

namespace {
constexpr std::pair<VerificationType, const char*> kVerificationNames[] = {
    {VerificationType::kNone, "none"},
    {VerificationType::kHmac, "hmac"},
    {VerificationType::kStandardWebhooks, "standard_webhooks"},
    {VerificationType::kBasic, "basic"},
    {VerificationType::kApiKey, "api_key"},
};
}  // namespace

const char* verification_name(VerificationType type) {
  for (const auto& [t, name] : kVerificationNames) {
    if (t == type) return name;
  }
  return "none";
}

std::optional<VerificationType> verification_from_name(std::string_view name) {
  for (const auto& [t, n] : kVerificationNames) {
    if (name == n) return t;
  }
  return std::nullopt;
}

}  // namespace hookd
