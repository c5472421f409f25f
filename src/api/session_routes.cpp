// The dashboard's sign-in, /ui/session (docs/dashboard.md, "Signing in"), and the use of its
// sessions by API requests. Runs on the I/O threads: everything here is in memory.
#include "api/api.h"
#include "api/json_io.h"
#include "common/time.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

HttpResponse not_signed_in(const std::string& why) {
  return error_response(401, "authentication_failed", "session: " + why + "; sign in again");
}

// Who the session is, and the CSRF token its page sends with every change.
HttpResponse session_answer(int status, const Caller& caller, const std::string& csrf) {
  const json body{{"kind", caller.kind()},
                  {"tokenId", caller.token_id},
                  {"appId", caller.app_id.empty() ? json(nullptr) : json(caller.app_id)},
                  {"readOnly", caller.read_only},
                  {"csrfToken", csrf}};
  return json_response(status, dump(body));
}

// The token of a sign-in request: {"token": "..."} sent as application/json, which an HTML
// form on another site cannot send (so no page elsewhere can sign a browser in to its token).
std::string sign_in_token(const HttpRequest& req) {
  const std::string* type = req.header("content-type");
  if (type == nullptr || !type->starts_with("application/json")) {
    throw ApiError(415, "unsupported_media_type",
                   "Content-Type: sign in with a JSON body {\"token\": \"...\"} as "
                   "application/json");
  }
  const json body = parse_body(req);
  reject_unknown_fields(body, {"token"});
  auto token = read_string(body, "token", 512);
  if (!token || token->empty()) throw validation_error("token: required");
  return *token;
}

}  // namespace

bool Api::handle_session(HttpRequest& req, Responder& respond) {
  if (req.path != "/ui/session") return false;
  HttpResponse response;
  try {
    response = session_route(req);
  } catch (const ApiError& e) {
    response = error_response(e.status(), e.code(), e.what());
  }
  response.headers.emplace_back("Cache-Control", "no-store");
  respond(std::move(response));
  return true;
}

namespace {

// What the sign-in calls work with.
struct SignIn {
  dashboard::Sessions& sessions;
  const std::string& admin_token;
  const TokenRegistry& tokens;
  bool secure;  // the cookie gets Secure: hookd is reached over https
  int64_t now;
};

HttpResponse sign_in(const SignIn& ctx, const HttpRequest& req) {
  const std::string token = sign_in_token(req);
  Caller caller;
  if (auto refused = authenticate_secret(token, ctx.admin_token, ctx.tokens, ctx.now, caller)) {
    return error_response(401, "authentication_failed", "token: " + *refused);
  }
  const auto opened = ctx.sessions.open(token, ctx.now);
  HttpResponse response = session_answer(201, caller, opened.csrf);
  response.headers.emplace_back("Set-Cookie", dashboard::session_cookie(opened.id, ctx.secure));
  return response;
}

// The cookie's session, checked again against its token (revoked or expired: ended).
HttpResponse current_session(const SignIn& ctx, const HttpRequest& req) {
  auto session = ctx.sessions.find(req.session_id, ctx.now);
  if (!session) return not_signed_in("none, or it ended");
  Caller caller;
  if (auto refused =
          authenticate_secret(session->secret, ctx.admin_token, ctx.tokens, ctx.now, caller)) {
    ctx.sessions.close(req.session_id);
    return not_signed_in(*refused);
  }
  return session_answer(200, caller, session->csrf);
}

// Signing out ends the session; the token itself stays valid.
HttpResponse sign_out(const SignIn& ctx, const HttpRequest& req) {
  if (auto session = ctx.sessions.find(req.session_id, ctx.now)) {
    if (!signing::constant_time_equal(req.csrf_token, session->csrf)) {
      return error_response(403, "csrf",
                            "X-CSRF-Token: missing, or not the token this sign-in was given");
    }
    ctx.sessions.close(req.session_id);
  }
  HttpResponse response = empty_response(204);
  response.headers.emplace_back("Set-Cookie", dashboard::cleared_session_cookie(ctx.secure));
  return response;
}

}  // namespace

HttpResponse Api::session_route(const HttpRequest& req) {
  const SignIn ctx{sessions_, options_.admin_token, context_.catalog.tokens(),
                   options_.public_url.starts_with("https://"), now_unix_ms()};
  if (req.method == "POST") return sign_in(ctx, req);
  if (is_read_method(req.method)) return current_session(ctx, req);
  if (req.method == "DELETE") return sign_out(ctx, req);
  HttpResponse refused = error_response(405, "method_not_allowed",
                                        req.method + " /ui/session: use GET, POST or DELETE");
  refused.headers.emplace_back("Allow", "GET, HEAD, POST, DELETE");
  return refused;
}

// An API request without an Authorization header but with a session cookie: authenticated as
// the session's token. A change (any method but GET and HEAD) must carry the session's CSRF
// token: the cookie is sent by the browser on its own, the header only by the dashboard's page.
std::optional<HttpResponse> Api::use_session(HttpRequest& req) {
  auto session = sessions_.find(req.session_id, now_unix_ms());
  if (!session) return not_signed_in("none, or it ended");
  if (!is_read_method(req.method) && !signing::constant_time_equal(req.csrf_token, session->csrf)) {
    return error_response(403, "csrf",
                          "X-CSRF-Token: missing, or not the token this sign-in was given; a "
                          "change made with the dashboard's sign-in cookie must send it");
  }
  req.authorization = "Bearer " + session->secret;
  return std::nullopt;
}

}  // namespace hookd::api
