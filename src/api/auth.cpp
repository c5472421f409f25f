#include "api/auth.h"

#include "common/random.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

HttpResponse forbidden(const std::string& detail) {
  return error_response(403, "forbidden", detail);
}

}  // namespace

bool is_read_method(std::string_view method) { return method == "GET" || method == "HEAD"; }

const char* scope_name(Scope scope) {
  switch (scope) {
    case Scope::kGlobal:
      return "global";
    case Scope::kAnyRead:
      return "any-read";
    case Scope::kAppRead:
      return "app-read";
    case Scope::kApp:
      return "app";
    case Scope::kCaller:
      return "caller";
  }
  return "unknown";
}

std::optional<std::string> authenticate_secret(std::string_view secret,
                                               const std::string& admin_token,
                                               const TokenRegistry& tokens, int64_t now_ms,
                                               Caller& caller) {
  if (!secret.empty() && signing::constant_time_equal(secret, admin_token)) {
    caller = Caller{"admin", "", false};
    return std::nullopt;
  }
  // Looked up by the secret's hash: what a timing difference could reveal is the hash, which
  // is of no use without the secret. The stored hash is compared in constant time all the same.
  const std::string hash = signing::sha256_hex(secret);
  const auto token = secret.empty() ? std::nullopt : tokens.by_secret_hash(hash);
  if (!token || !signing::constant_time_equal(token->secret_hash, hash)) return "invalid token";
  if (token->revoked_at != 0) return "token revoked";
  if (token->expired(now_ms)) return "token expired";
  caller = Caller{token->id, token->app_id, token->read_only};
  return std::nullopt;
}

std::optional<HttpResponse> authenticate(std::string_view authorization,
                                         const std::string& admin_token,
                                         const TokenRegistry& tokens, int64_t now_ms,
                                         Caller& caller) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return error_response(401, "authentication_failed", "Authorization: missing bearer token");
  }
  const std::string_view secret =
      authorization.starts_with(kBearer) ? authorization.substr(kBearer.size()) : "";
  if (auto refused = authenticate_secret(secret, admin_token, tokens, now_ms, caller)) {
    return error_response(401, "authentication_failed", "Authorization: " + *refused);
  }
  return std::nullopt;
}

std::optional<HttpResponse> authorize(const Caller& caller, Scope scope, std::string_view method,
                                      std::string_view app, const Catalog& catalog) {
  const bool read = is_read_method(method);
  if (caller.read_only && !read && scope != Scope::kCaller) {
    return forbidden("token " + caller.token_id + " is read-only: " + std::string(method) +
                     " needs a token that may write");
  }
  if (!caller.application_scoped() || scope == Scope::kCaller) return std::nullopt;
  const std::string lacks =
      "application token " + caller.token_id + " may use application " + caller.app_id + " only";
  switch (scope) {
    case Scope::kGlobal:
      return forbidden(lacks + ": this route needs a token of every application");
    case Scope::kAnyRead:
      if (read) return std::nullopt;
      return forbidden(lacks + ": changing this needs a token of every application");
    case Scope::kAppRead:
    case Scope::kApp: {
      // An unknown application is refused like another one: the answer must not tell an
      // application's token which other applications exist.
      if (app != caller.app_id && catalog.app_id_of(app) != caller.app_id) return forbidden(lacks);
      if (scope == Scope::kAppRead && !read) {
        return forbidden(lacks +
                         ", and may read it only: changing it needs a token of every "
                         "application");
      }
      return std::nullopt;
    }
    case Scope::kCaller:
      break;
  }
  return std::nullopt;
}

std::string new_token_secret(bool application_scoped) {
  return (application_scoped ? "appsk_" : "hksk_") + random_hex(32);
}

}  // namespace hookd::api
