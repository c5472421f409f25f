// /api/v1/auth: API tokens, logout, the app portal's access links (docs/auth.md); and the audit
// log's listing.
#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "common/ids.h"
#include "common/time.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

constexpr int64_t kMaxTokenLifetimeS = 10LL * 365 * 86'400;
constexpr int64_t kMinPortalExpiryS = 60;
constexpr int64_t kMaxPortalExpiryS = 7 * 86'400;

json time_or_null(int64_t unix_ms) {
  return unix_ms == 0 ? json(nullptr) : json(format_rfc3339(unix_ms));
}

json render(const ApiToken& t, int64_t now_ms) {
  const char* status = t.revoked_at != 0 ? "revoked" : t.expired(now_ms) ? "expired" : "active";
  return json{{"id", t.id},
              {"name", t.name},
              {"kind", t.application_scoped() ? "application" : "admin"},
              {"appId", t.app_id.empty() ? json(nullptr) : json(t.app_id)},
              {"readOnly", t.read_only},
              {"sessionId", t.session_id.empty() ? json(nullptr) : json(t.session_id)},
              {"status", status},
              {"createdAt", format_rfc3339(t.created_at)},
              {"expiresAt", time_or_null(t.expires_at)},
              {"revokedAt", time_or_null(t.revoked_at)}};
}

// Makes and stores a token; returns it with its secret, which exists nowhere else.
std::pair<ApiToken, std::string> issue_token(ApiContext& ctx, ApiToken token) {
  const std::string secret = new_token_secret(token.application_scoped());
  token.id = new_id("tok_");
  token.secret_hash = signing::sha256_hex(secret);
  token.created_at = now_unix_ms();
  check_write(ctx.writer.put(token));
  return {std::move(token), secret};
}

ApiToken require_token(ApiContext& ctx, const std::string& id) {
  auto token = ctx.catalog.tokens().find(id);
  if (!token) throw not_found("token " + id);
  return *token;
}

// Ends `token` at `at` (unix ms): revoked now, or expiring then.
void end_token(ApiContext& ctx, ApiToken token, int64_t at, bool revoke) {
  if (revoke) {
    if (token.revoked_at != 0) return;
    token.revoked_at = at;
  } else {
    if (token.expires_at != 0 && token.expires_at <= at) return;
    token.expires_at = at;
  }
  check_write(ctx.writer.put(token));
}

}  // namespace

HttpResponse create_token(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const json body = parse_body(req);
  reject_unknown_fields(body, {"name", "appId", "readOnly", "expiresIn"});
  ApiToken token;
  token.name = read_string(body, "name", 256).value_or("");
  token.read_only = read_bool(body, "readOnly").value_or(false);
  std::lock_guard lock(ctx.writer.mutex());
  if (auto app = read_string(body, "appId", 256); app && !app->empty()) {
    const auto app_id = ctx.catalog.app_id_of(*app);
    if (!app_id) throw validation_error("appId: application " + *app + " not found");
    token.app_id = *app_id;
  }
  if (auto lifetime = read_int(body, "expiresIn", 1, kMaxTokenLifetimeS)) {
    token.expires_at = now_unix_ms() + *lifetime * 1000;
  }
  auto [stored, secret] = issue_token(ctx, std::move(token));
  json out = render(stored, now_unix_ms());
  out["token"] = secret;
  return json_response(201, dump(out));
}

HttpResponse list_tokens(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const int64_t now = now_unix_ms();
  return json_response(
      200, render_page(
               ctx.catalog.tokens().list(), read_page(req), [](const ApiToken& t) { return t.id; },
               [now](const ApiToken& t) { return dump(render(t, now)); }));
}

HttpResponse get_token(ApiContext& ctx, const HttpRequest&, const Params& p) {
  return json_response(200, dump(render(require_token(ctx, p[0]), now_unix_ms())));
}

HttpResponse revoke_token(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.writer.mutex());
  end_token(ctx, require_token(ctx, p[0]), now_unix_ms(), true);
  return empty_response(204);
}

HttpResponse logout(ApiContext& ctx, const HttpRequest& req, const Params&) {
  if (req.caller.token_id == "admin") {
    throw validation_error(
        "Authorization: the configured admin token cannot be logged out; change admin_token in "
        "the configuration to replace it");
  }
  std::lock_guard lock(ctx.writer.mutex());
  end_token(ctx, require_token(ctx, req.caller.token_id), now_unix_ms(), true);
  return empty_response(204);
}

HttpResponse app_portal_access(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_fields(
      body, {"application", "expiry", "readOnly", "sessionId", "featureFlags", "capabilities"});
  // Empty lists (what SDKs send by default) ask for nothing; anything else is refused.
  for (const char* field : {"featureFlags", "capabilities"}) {
    auto it = body.find(field);
    if (it != body.end() && !it->is_null() && !(it->is_array() && it->empty())) {
      throw validation_error(std::string(field) +
                             ": not supported; a portal token has every right on its "
                             "application, or reads only with readOnly");
    }
  }
  ApiToken token;
  token.name = "app portal";
  token.read_only = read_bool(body, "readOnly").value_or(false);
  token.session_id = read_string(body, "sessionId", 256).value_or("");
  const int64_t expiry_s = read_int(body, "expiry", kMinPortalExpiryS, kMaxPortalExpiryS)
                               .value_or(ctx.options.portal_token_ttl_s);
  std::lock_guard lock(ctx.writer.mutex());
  auto app_id = ctx.catalog.app_id_of(p[0]);
  if (!app_id) {
    auto application = body.find("application");
    if (application == body.end() || application->is_null()) throw not_found("application " + p[0]);
    if (!application->is_object()) throw validation_error("application: must be an object");
    json fields = *application;
    // The path names the application to make: its uid, unless the body gives one.
    if (!fields.contains("uid") || fields["uid"].is_null()) fields["uid"] = p[0];
    app_id = create_application(ctx, fields).id;
  }
  token.app_id = *app_id;
  token.expires_at = now_unix_ms() + expiry_s * 1000;
  auto [stored, secret] = issue_token(ctx, std::move(token));
  // The token rides in the fragment, which browsers never send: no access log sees it.
  const std::string url = ctx.options.public_url + "/ui/#token=" + secret + "&app=" + stored.app_id;
  return json_response(
      200,
      dump(json{{"token", secret}, {"url", url}, {"id", stored.id}, {"appId", stored.app_id}}));
}

HttpResponse expire_all(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_fields(body, {"expiry", "sessionIds"});
  const int64_t expiry_s = read_int(body, "expiry", 0, kMaxPortalExpiryS).value_or(0);
  const auto sessions = read_names(body, "sessionIds", 1'000).value_or(std::vector<std::string>{});
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const int64_t at = now_unix_ms() + expiry_s * 1000;
  for (const ApiToken& token : ctx.catalog.tokens().list()) {
    if (token.app_id != app.id || !token.usable(now_unix_ms())) continue;
    if (!sessions.empty() &&
        std::find(sessions.begin(), sessions.end(), token.session_id) == sessions.end()) {
      continue;
    }
    end_token(ctx, token, at, false);
  }
  return empty_response(204);
}

HttpResponse list_audit(ApiContext& ctx, const HttpRequest& req, const Params&) {
  AuditFilter filter;
  filter.app_id = query_value(req, "appId");
  filter.object_id = query_value(req, "objectId");
  filter.since = read_query_time(req, "since");
  filter.until = read_query_time(req, "until");
  if (req.caller.application_scoped()) {
    // An application's token reads its own application's entries only.
    if (!filter.app_id.empty() && ctx.catalog.app_id_of(filter.app_id) != req.caller.app_id) {
      throw ApiError(403, "forbidden",
                     "application token " + req.caller.token_id +
                         " may read the audit log of "
                         "application " +
                         req.caller.app_id + " only");
    }
    filter.app_id = req.caller.app_id;
  } else if (!filter.app_id.empty()) {
    filter.app_id = ctx.catalog.app_id_of(filter.app_id).value_or(filter.app_id);
  }
  const Page page = read_page(req);
  auto rows = ctx.store.list_audit(filter, page);
  return json_response(
      200, render_store_page(rows, page, [](const AuditEntry& e) {
        json changes = json::parse(e.changes_json, nullptr, false);
        return dump(json{{"id", e.id},
                         {"at", format_rfc3339(e.at)},
                         {"tokenId", e.token_id},
                         {"tokenKind", e.token_kind},
                         {"appId", e.app_id.empty() ? json(nullptr) : json(e.app_id)},
                         {"method", e.method},
                         {"route", e.route},
                         {"path", e.path},
                         {"objectId", e.object_id},
                         {"changes", changes.is_discarded() ? json::object() : changes},
                         {"status", e.status}});
      }));
}

}  // namespace hookd::api
