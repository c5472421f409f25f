// /api/v1/app/{app}/endpoint: where an application's messages are delivered.
#include "api/api.h"
#include "api/endpoint_input.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "common/ids.h"
#include "common/time.h"
#include "signing/asymmetric.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

constexpr size_t kMaxSecrets = 5;  // the current key and up to four still in their grace period

EndpointSecret make_secret(const std::string& encoded, const char* field) {
  auto key = signing::decode_secret(encoded);
  if (!key) {
    throw validation_error(std::string(field) +
                           ": must be whsec_ followed by base64 of 24 to 64 bytes");
  }
  return {encoded, *key, 0};
}

// The server's URL rules and the catalog checks, for the endpoint `endpoint_id` of `app`, with
// `new_key_pem` for a change of signing scheme (new_signing_key_for). Call with the writer's
// mutex held: the checks read the catalog.
EndpointInputContext input_context(ApiContext& ctx, const Application& app,
                                   const std::string& endpoint_id, std::string new_key_pem) {
  EndpointInputContext input;
  input.new_signing_key_pem = std::move(new_key_pem);
  input.address_policy = ctx.options.address_policy;
  input.https_only = ctx.options.https_only;
  input.check_event_types = [&ctx](const std::vector<std::string>& names, const char* field) {
    for (const auto& name : names) {
      auto et = ctx.catalog.find_event_type(name);
      if (!et || et->archived) {
        throw validation_error(std::string(field) + ": unknown event type " + name);
      }
    }
  };
  input.check_uid_free = [&ctx, app_id = app.id, endpoint_id](const std::string& uid) {
    for (const auto& other : ctx.catalog.list_endpoints(app_id)) {
      if (other->uid == uid && other->id != endpoint_id) {
        throw ApiError(409, "conflict", "uid: another endpoint of this application has it");
      }
    }
  };
  return input;
}

HttpResponse save(ApiContext& ctx, const Endpoint& before, const Endpoint& after, int status) {
  if (after.require_test && !after.disabled && (before.disabled || before.id.empty()) &&
      after.last_test_status != 200) {
    throw ApiError(409, "test_required",
                   "disabled: this endpoint requires a test that returned 200 before it is enabled "
                   "(POST .../endpoint/{id}/test)");
  }
  check_write(ctx.writer.put(after));
  if (ctx.health) {
    ctx.health->endpoint_changed(before.id.empty() ? "endpoint.created" : "endpoint.updated",
                                 after);
  }
  if (before.disabled && !after.disabled && ctx.dispatcher) {
    // Deliveries kept while it was disabled resume now.
    ctx.dispatcher->wake_loader();
    if (ctx.health) ctx.health->endpoint_enabled(after);
  }
  return json_response(status, dump(render(*ctx.catalog.endpoint_by_id(after.id))));
}

}  // namespace

HttpResponse list_endpoints(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const Page page = read_page(req);
  return json_response(
      200, render_page(
               ctx.catalog.list_endpoints(app.id), page, [](const EndpointPtr& e) { return e->id; },
               [](const EndpointPtr& e) { return dump(render(*e)); }, read_query_descending(req)));
}

namespace {

// Creates the endpoint `body` describes in `app`. Call with the writer's mutex held.
HttpResponse create_in(ApiContext& ctx, const Application& app, const json& body,
                       std::string new_key) {
  Endpoint ep;
  ep.id = new_id("ep_");
  ep.app_id = app.id;
  apply_endpoint_input(body, true, input_context(ctx, app, ep.id, std::move(new_key)), ep);
  const auto secret = read_string(body, "secret", 256);
  ep.secrets.push_back(make_secret(secret ? *secret : signing::generate_secret(), "secret"));
  ep.created_at = ep.updated_at = now_unix_ms();
  Endpoint none;
  return save(ctx, none, ep, 201);
}

}  // namespace

HttpResponse create_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_endpoint_fields(body, true);
  std::string new_key = new_signing_key_for(body);
  std::lock_guard lock(ctx.writer.mutex());
  return create_in(ctx, require_app(ctx, p[0]), body, std::move(new_key));
}

HttpResponse get_endpoint(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(200, dump(render(*require_endpoint(ctx, app, p[1]))));
}

// PUT of an unknown endpoint creates it, with the path's id as its uid unless the body names one
// (Svix's upsert).
HttpResponse update_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  json body = parse_body(req);
  const bool put = req.method == "PUT";
  // A concurrent create of the same uid is refused by create_in (409).
  const bool creating = put && !ctx.catalog.find_endpoint(require_app(ctx, p[0]).id, p[1]);
  reject_unknown_endpoint_fields(body, creating);
  std::string new_key = new_signing_key_for(body);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  if (creating) {
    if (!body.contains("uid") || body["uid"].is_null()) body["uid"] = p[1];
    return create_in(ctx, app, body, std::move(new_key));
  }
  const EndpointPtr before = require_endpoint(ctx, app, p[1]);
  // As for applications: a PUT by uid keeps the uid, so that repeating it is idempotent.
  if (put && before->uid == p[1] && !body.contains("uid")) body["uid"] = p[1];
  Endpoint ep = *before;
  apply_endpoint_input(body, put, input_context(ctx, app, ep.id, std::move(new_key)), ep);
  ep.updated_at = now_unix_ms();
  return save(ctx, *before, ep, 200);
}

HttpResponse delete_endpoint(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  check_write(ctx.writer.remove_endpoint(ep->id));
  if (ctx.health) ctx.health->endpoint_changed("endpoint.deleted", *ep);
  return empty_response(204);
}

HttpResponse get_endpoint_secret(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  return json_response(200, dump(json{{"key", ep->secrets.front().encoded}}));
}

HttpResponse rotate_endpoint_secret(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = req.body.empty() ? json::object() : parse_body(req);
  reject_unknown_fields(body, {"key", "gracePeriodSeconds"});
  const auto key = read_string(body, "key", 256);
  const auto grace_s = read_int(body, "gracePeriodSeconds", 0, 30 * 86'400)
                           .value_or(ctx.options.default_secret_grace_s);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr before = require_endpoint(ctx, app, p[1]);
  Endpoint ep = *before;
  const int64_t now = now_unix_ms();
  std::vector<EndpointSecret> secrets{make_secret(key ? *key : signing::generate_secret(), "key")};
  for (auto old : ep.secrets) {
    if (old.expires_at == 0) old.expires_at = now + grace_s * 1000;
    if (old.expires_at > now && secrets.size() < kMaxSecrets) secrets.push_back(std::move(old));
  }
  ep.secrets = std::move(secrets);
  ep.updated_at = now;
  save(ctx, *before, ep, 200);
  return empty_response(204);
}

HttpResponse get_endpoint_public_key(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  if (!ep->signing_key) {
    throw ApiError(
        409, "conflict",
        "signing: this endpoint signs with HMAC (a shared secret), it has no public key");
  }
  auto it = req.query.find("format");
  const std::string format = it == req.query.end() ? "pem" : it->second;
  if (format == "pem") return {200, ep->signing_key->public_pem(), "application/x-pem-file"};
  if (format == "xml" && ep->signing_type == "rsa") {
    return {200, ep->signing_key->public_xml(), "application/xml"};
  }
  if (format == "whpk" && ep->signing_type == "ed25519") {
    return {200, ep->signing_key->public_whpk(), "text/plain"};
  }
  throw validation_error("format: must be pem, or xml for rsa keys, or whpk for ed25519 keys");
}

HttpResponse get_endpoint_headers(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  return json_response(200,
                       dump(json{{"headers", render_headers(*ep)}, {"sensitive", json::array()}}));
}

// PUT replaces the custom headers; PATCH merges `headers` (a null value removes one) and removes
// the names in `deleteHeaders`.
HttpResponse update_endpoint_headers(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  const bool put = req.method == "PUT";
  if (put) {
    reject_unknown_fields(body, {"headers"});
  } else {
    reject_unknown_fields(body, {"headers", "deleteHeaders"});
  }
  auto headers = body.find("headers");
  if (headers == body.end()) throw validation_error("headers: required");
  const auto deleted = read_names(body, "deleteHeaders", 64);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr before = require_endpoint(ctx, app, p[1]);
  Endpoint ep = *before;
  if (put) ep.headers.clear();
  if (!headers->is_null()) merge_headers(*headers, ep.headers, !ep.basic_username.empty());
  if (deleted) delete_headers(*deleted, ep.headers);
  ep.updated_at = now_unix_ms();
  save(ctx, *before, ep, 200);
  return empty_response(204);
}

HttpResponse get_endpoint_health(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  if (!ctx.health) throw ApiError(409, "conflict", "this node does not deliver (role api)");
  const EndpointHealth h = ctx.health->health(ep->id);
  const char* state = h.circuit == CircuitState::kOpen       ? "open"
                      : h.circuit == CircuitState::kHalfOpen ? "half_open"
                                                             : "closed";
  auto time_or_null = [](int64_t ms) { return ms ? json(format_rfc3339(ms)) : json(nullptr); };
  return json_response(
      200, dump(json{{"state", state},
                     {"consecutiveFailures", h.consecutive_failures},
                     {"consecutiveExhausted", h.consecutive_exhausted},
                     {"failingSince", time_or_null(h.failing_since)},
                     {"lastStatus", h.last_status ? json(h.last_status) : json(nullptr)},
                     {"lastError", h.last_error.empty() ? json(nullptr) : json(h.last_error)},
                     {"circuitOpenUntil", h.circuit == CircuitState::kOpen
                                              ? time_or_null(h.circuit_open_until)
                                              : json(nullptr)},
                     {"disabled", ep->disabled},
                     {"disabledReason",
                      ep->disabled_reason.empty() ? json(nullptr) : json(ep->disabled_reason)}}));
}

}  // namespace hookd::api
