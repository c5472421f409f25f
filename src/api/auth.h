#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/http.h"
#include "catalog/catalog.h"

// Who may call what (docs/auth.md): the bearer token of an API request becomes a Caller, and
// each route's Scope says which callers it serves. Pure functions over the Catalog's in-memory
// tokens and applications: authenticating is one hash lookup, never a store read, so they run
// on the I/O threads for every request (any thread may call them).
namespace hookd::api {

// Which callers a route serves. Read-only tokens are refused every method but GET and HEAD,
// except on kCaller routes.
enum class Scope {
  kGlobal,   // tokens of every application only (server settings, tokens, the list of apps)
  kAnyRead,  // any token may read; changes need a token of every application (event types)
  kAppRead,  // the application's own token may read it; changes need a global token
  kApp,      // the application in the path's first wildcard: its own token or a global one
  kCaller,   // any token; the handler answers about the caller only (logout, the audit log)
};

const char* scope_name(Scope scope);

// GET and HEAD: the methods that change nothing (read-only tokens and dashboard sign-ins without
// a CSRF token may use only these).
bool is_read_method(std::string_view method);

// Fills `caller` for the token with this secret: the configured admin token, or a stored token
// that is neither revoked nor expired. Otherwise why not: "invalid token", "token revoked" or
// "token expired".
std::optional<std::string> authenticate_secret(std::string_view secret,
                                               const std::string& admin_token,
                                               const TokenRegistry& tokens, int64_t now_ms,
                                               Caller& caller);

// Fills `caller` from the request's Authorization header ("Bearer <secret>"), as above.
// Otherwise the 401 answer.
std::optional<HttpResponse> authenticate(std::string_view authorization,
                                         const std::string& admin_token,
                                         const TokenRegistry& tokens, int64_t now_ms,
                                         Caller& caller);

// The 403 answer when `scope` does not serve `caller` for `method` on the application named
// (by id or uid) by `app` (empty for routes without one); nothing when it does.
std::optional<HttpResponse> authorize(const Caller& caller, Scope scope, std::string_view method,
                                      std::string_view app, const Catalog& catalog);

// A new token secret ("appsk_..." for an application's token, "hksk_..." for one of every
// application): 32 random bytes, hex.
std::string new_token_secret(bool application_scoped);

}  // namespace hookd::api
