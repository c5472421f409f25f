// /api/v1/app: applications (tenants).
#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "common/ids.h"
#include "common/time.h"

namespace hookd::api {

namespace {

// Deliveries are throttled per endpoint: a rate on the application would be stored and ignored.
void refuse_app_throttle(const json& body) {
  for (const char* field : {"throttleRate", "rateLimit"}) {
    auto it = body.find(field);
    if (it != body.end() && !it->is_null()) {
      throw validation_error(std::string(field) +
                             ": not supported on an application; set throttleRate on its "
                             "endpoints (docs/failures.md)");
    }
  }
}

// Applies the fields present in `body` to `app`; with `full`, name is required.
void apply_app_fields(ApiContext& ctx, const json& body, Application& app, bool full) {
  reject_unknown_fields(body, {"name", "uid", "metadata", "throttleRate", "rateLimit",
                               "alertEmails", "alertFrequency"});
  auto name = read_string(body, "name", 256);
  if (full && !name) throw validation_error("name: required");
  if (name) {
    if (name->empty()) throw validation_error("name: must not be empty");
    app.name = *name;
  }
  if (auto uid = read_string(body, "uid", 256)) {
    if (auto problem = check_uid(*uid); !problem.empty()) throw validation_error(problem);
    auto other = ctx.catalog.find_app(*uid);
    if (other && other->id != app.id) throw ApiError(409, "conflict", "uid: already in use");
    app.uid = *uid;
  } else if (full) {
    app.uid.clear();
  }
  refuse_app_throttle(body);
  read_metadata_and_rate(body, full, app.metadata_json, app.throttle_rate);
  read_alert_settings(body, full, app.alerts);
}

}  // namespace

Application create_application(ApiContext& ctx, const json& body) {
  Application app;
  app.id = new_id("app_");
  apply_app_fields(ctx, body, app, true);
  app.created_at = app.updated_at = now_unix_ms();
  check_write(ctx.writer.put(app));
  return app;
}

HttpResponse list_apps(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const Page page = read_page(req);
  const bool descending = read_query_descending(req);
  auto apps = ctx.catalog.list_apps();
  if (read_query_bool(req, "exclude_apps_with_no_endpoints", false)) {
    std::erase_if(apps,
                  [&](const Application& a) { return ctx.catalog.list_endpoints(a.id).empty(); });
  }
  return json_response(200, render_page(
                                apps, page, [](const Application& a) { return a.id; },
                                [](const Application& a) { return dump(render(a)); }, descending));
}

HttpResponse create_app(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const json body = parse_body(req);
  refuse_app_throttle(body);  // also when get_if_exists answers with the stored application
  std::lock_guard lock(ctx.writer.mutex());
  const auto uid = read_string(body, "uid", 256);
  if (uid) {
    if (auto existing = ctx.catalog.find_app(*uid)) {
      auto q = req.query.find("get_if_exists");
      if (q != req.query.end() && q->second == "true") {
        return json_response(200, dump(render(*existing)));
      }
      throw ApiError(409, "conflict", "uid: an application with this uid already exists");
    }
  }
  return json_response(201, dump(render(create_application(ctx, body))));
}

HttpResponse get_app(ApiContext& ctx, const HttpRequest&, const Params& p) {
  return json_response(200, dump(render(require_app(ctx, p[0]))));
}

// PUT of an unknown application creates it, with the path's id as its uid unless the body names
// one (Svix's upsert).
HttpResponse update_app(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  if (req.method == "PUT" && !ctx.catalog.find_app(p[0])) {
    if (!body.contains("uid") || body["uid"].is_null()) body["uid"] = p[0];
    return json_response(201, dump(render(create_application(ctx, body))));
  }
  Application app = require_app(ctx, p[0]);
  // A PUT that names the application by its uid keeps it, so that repeating the PUT updates
  // the same application rather than creating another.
  if (req.method == "PUT" && app.uid == p[0] && !body.contains("uid")) body["uid"] = p[0];
  apply_app_fields(ctx, body, app, req.method == "PUT");
  app.updated_at = now_unix_ms();
  check_write(ctx.writer.put(app));
  return json_response(200, dump(render(app)));
}

HttpResponse delete_app(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  check_write(ctx.writer.remove_app(app.id));
  return empty_response(204);
}

}  // namespace hookd::api
