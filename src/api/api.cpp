#include "api/api.h"

#include <spdlog/spdlog.h>

#include "api/audit.h"
#include "api/json_io.h"
#include "api/openapi_data.h"
#include "common/time.h"

namespace hookd::api {

namespace {

HttpResponse run_guarded(SyncHandler handler, ApiContext& ctx, const HttpRequest& req,
                         const Params& params) {
  try {
    return handler(ctx, req, params);
  } catch (const ApiError& e) {
    return error_response(e.status(), e.code(), e.what());
  } catch (const StoreUnavailable& e) {
    return error_response(503, "store_unavailable", e.what());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    return error_response(500, "internal", "internal error; see the server log");
  }
}

// 204 when healthy; otherwise 503 naming each reason (docs/api.md).
HttpResponse health(ApiContext& ctx) {
  const std::string refusal = ctx.store.writable() ? "" : ctx.store.write_refusal();
  const std::vector<std::string> reasons = degraded_reasons(refusal, ctx.service_health);
  if (reasons.empty()) return empty_response(204);
  const json body{{"status", "degraded"},
                  {"reasons", reasons},
                  {"code", refusal.empty() ? "degraded" : "store_unavailable"},
                  {"detail", reasons.front()}};
  return json_response(503, dump(body));
}

// Whether `segments` fit `pattern` ("*" matches any one segment, whose value joins `params`).
bool match_route(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
                 Params& params) {
  if (pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (pattern[i] == "*") {
      params.push_back(segments[i]);
    } else if (pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Application require_app(ApiContext& ctx, const std::string& id_or_uid) {
  auto app = ctx.catalog.find_app(id_or_uid);
  if (!app) throw not_found("application " + id_or_uid);
  return *app;
}

EndpointPtr require_endpoint(ApiContext& ctx, const Application& app,
                             const std::string& id_or_uid) {
  auto endpoint = ctx.catalog.find_endpoint(app.id, id_or_uid);
  if (!endpoint) throw not_found("endpoint " + id_or_uid);
  return endpoint;
}

void check_write(const WriteResult& result) {
  if (result.status == WriteStatus::kUnavailable) {
    throw ApiError(503, "store_unavailable", result.detail);
  }
  if (result.status == WriteStatus::kConflict) throw ApiError(409, "conflict", result.detail);
}

Api::Api(ApiOptions options, Catalog& catalog, Store& store, CatalogWriter& writer,
         Dispatcher* dispatcher, Metrics& metrics, HealthMonitor* health,
         const ServiceHealth* service_health)
    : options_(std::move(options)),
      test_pool_("hookd-test", 8),
      context_{options_, catalog, store,          writer,     dispatcher,
               metrics,  health,  service_health, test_pool_, tests_running_},
      assets_(options_.web_root.empty() ? dashboard::Assets()
                                        : dashboard::Assets(options_.web_root)),
      pool_("hookd-api", options_.worker_threads) {
  routes_ = route_table();
}

Api::~Api() {
  pool_.stop();
  test_pool_.stop();
}

// The routes that take no token: health, the OpenAPI document, metrics and inbound webhooks.
// Returns false when the path is none of them.
bool Api::handle_open_route(HttpRequest& req, Responder& respond) {
  const std::string& path = req.path;
  if (path == "/api/v1/health/ping") {
    const bool get = req.method == "GET" || req.method == "HEAD";
    respond(get ? empty_response(204) : error_response(405, "method_not_allowed", "use GET"));
    return true;
  }
  if (path == "/health" || path == "/api/v1/health" || path == "/api/v1/health/") {
    if (req.method != "GET" && req.method != "HEAD") {
      respond(error_response(405, "method_not_allowed", "use GET"));
    } else {
      respond(health(context_));
    }
    return true;
  }
  if (path == "/api/v1/openapi.json") {
    const bool get = req.method == "GET" || req.method == "HEAD";
    respond(get ? HttpResponse{200, std::string(embedded_openapi_files()[0].bytes)}
                : error_response(405, "method_not_allowed", "use GET"));
    return true;
  }
  if (path == "/metrics") {
    const Store& store = context_.store;
    const Metrics::StoreGauges gauges{store.write_queue_depth(), store.commit_sequence(),
                                      store.live_nodes(), store.leader()};
    respond(
        HttpResponse{200, context_.metrics.render_prometheus(gauges), "text/plain; version=0.0.4"});
    return true;
  }
  constexpr std::string_view kWebhook = "/webhook/";
  if (!path.starts_with(kWebhook)) return false;
  const std::string_view id = std::string_view(path).substr(kWebhook.size());
  if (id.empty() || id.find('/') != std::string_view::npos) {
    respond(error_response(404, "not_found", "no such route: " + path));
  } else if (req.method != "POST") {
    respond(error_response(405, "method_not_allowed", "use POST to send an event"));
  } else {
    receive_webhook(context_, std::move(req), percent_decode(id), std::move(respond));
  }
  return true;
}

// The 401 answer for a request without a usable token; otherwise sets request.caller.
std::optional<HttpResponse> Api::refuse_unauthorized(HttpRequest& req) const {
  return authenticate(req.authorization, options_.admin_token, context_.catalog.tokens(),
                      now_unix_ms(), req.caller);
}

// POST /api/v1/app/{app}/msg, matched without building the segment list: it is the one route
// that is hot. Returns false when the request is another one.
bool Api::handle_ingest(HttpRequest& req, Responder& respond) {
  constexpr std::string_view kAppPrefix = "/api/v1/app/";
  constexpr std::string_view kMsgSuffix = "/msg";
  const std::string_view path = req.path;
  if (req.method != "POST" || path.size() <= kAppPrefix.size() + kMsgSuffix.size() ||
      !path.starts_with(kAppPrefix) || !path.ends_with(kMsgSuffix)) {
    return false;
  }
  const std::string_view app =
      path.substr(kAppPrefix.size(), path.size() - kAppPrefix.size() - kMsgSuffix.size());
  if (app.find('/') != std::string_view::npos) return false;
  Params params{percent_decode(app)};
  if (req.caller.application_scoped() || req.caller.read_only) {  // the admin's pass at once
    auto refused = authorize(req.caller, Scope::kApp, req.method, params[0], context_.catalog);
    if (refused) {
      respond(std::move(*refused));
      return true;
    }
  }
  create_message(context_, std::move(req), params, std::move(respond));  // answers itself
  return true;
}

// The route table: async handlers run here, sync ones on the API worker pool.
void Api::dispatch(HttpRequest&& req, Responder respond) {
  std::vector<std::string> segments = split_path(req.path);
  segments.erase(segments.begin(), segments.begin() + 2);  // "api", "v1"
  bool path_matched = false;
  for (const auto& route : routes_) {
    Params params;
    if (!match_route(route.pattern, segments, params)) continue;
    path_matched = true;
    if (req.method != route.method) continue;
    const std::string_view app = route.names_app() ? std::string_view(params[0]) : "";
    if (auto refused = authorize(req.caller, route.scope, req.method, app, context_.catalog)) {
      return respond(std::move(*refused));
    }
    if (route.async) {
      try {
        route.async(context_, std::move(req), params, respond);
      } catch (const ApiError& e) {
        respond(error_response(e.status(), e.code(), e.what()));
      } catch (const std::exception& e) {  // before the handler handed the request on
        spdlog::error("{}: {}", route.path_template(), e.what());
        respond(error_response(500, "internal", "internal error; see the server log"));
      }
      return;
    }
    auto shared = std::make_shared<HttpRequest>(std::move(req));
    const Route* matched = &route;  // routes_ is constant after construction
    const bool queued = pool_.post([this, matched, shared, params, respond] {
      AuditTarget target;
      if (matched->audited) target = audit_target(*matched, params, context_.catalog);
      HttpResponse response = run_guarded(matched->sync, context_, *shared, params);
      if (matched->audited) record_audit(*matched, *shared, target, response);
      respond(std::move(response));
    });
    if (!queued) respond(error_response(503, "overloaded", "the API worker queue is full"));
    return;
  }
  if (path_matched) {
    return respond(error_response(405, "method_not_allowed", req.method + " " + req.path));
  }
  respond(error_response(404, "not_found", "no such route: " + req.path));
}

// Records a change of configuration that succeeded, before it is answered: an answered change
// is in the log (unless the store refused the entry, which the server log then says).
void Api::record_audit(const Route& route, const HttpRequest& req, const AuditTarget& target,
                       const HttpResponse& response) {
  if (response.status < 200 || response.status >= 300) return;
  const WriteResult result =
      context_.store.write_sync(write::RecordAudit{audit_entry(route, req, target, response)});
  if (result.status != WriteStatus::kOk) {
    spdlog::error("audit log: {} {} not recorded: {}", req.method, req.path, result.detail);
  }
}

void Api::handle(HttpRequest&& req, Responder respond) {
  if (handle_open_route(req, respond)) return;
  if (handle_session(req, respond)) return;
  if (dashboard::Assets::owns(req.path)) {  // the files need no token; the API they call does
    dashboard::Reply reply = assets_.serve(req.method, req.path);
    return respond(HttpResponse{reply.status, std::move(reply.body), std::move(reply.content_type),
                                std::move(reply.headers)});
  }
  if (!req.path.starts_with("/api/v1/")) {
    return respond(error_response(404, "not_found", "no such route: " + req.path));
  }
  if (req.authorization.empty() && !req.session_id.empty()) {
    if (auto refused = use_session(req)) return respond(std::move(*refused));
  }
  if (auto refused = refuse_unauthorized(req)) return respond(std::move(*refused));
  if (!req.idempotency_key.empty()) {
    respond = idempotency_.guard(req, std::move(respond), now_unix_ms());
    if (!respond) return;  // a repeat: answered, or answered with the first
  }
  if (handle_ingest(req, respond)) return;
  dispatch(std::move(req), std::move(respond));
}

}  // namespace hookd::api
