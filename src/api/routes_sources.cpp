// /api/v1/app/{app}/source: inbound sources and what they received (docs/inbound.md).
#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/time.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

constexpr std::string_view kMasked = "********";

// webhookId and clientId: 16 to 64 characters of [A-Za-z0-9_-].
bool is_public_id(std::string_view id) {
  if (id.size() < 16 || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string read_public_id(const json& body, const char* field) {
  auto value = read_string(body, field, 64);
  if (value && !is_public_id(*value)) {
    throw validation_error(std::string(field) + ": must be 16 to 64 characters of A-Z a-z 0-9 _ -");
  }
  return value.value_or("");
}

std::string read_header_name(const json& v, const char* field, bool required) {
  auto value = read_string(v, field, 256);
  if (!value || value->empty()) {
    if (required) throw validation_error(std::string(field) + ": required");
    return {};
  }
  if (!is_http_token(*value)) throw validation_error(std::string(field) + ": not a header name");
  return *value;
}

// A secret field: required; the mask shown by GET keeps the stored value, so a GET-then-PUT
// round trip does not wipe it.
std::string read_secret(const json& v, const char* field, const std::string& stored) {
  auto value = read_string(v, field, 1024);
  if (!value || value->empty()) throw validation_error(std::string(field) + ": required");
  if (*value == kMasked) {
    if (stored.empty()) throw validation_error(std::string(field) + ": required");
    return stored;
  }
  return *value;
}

SourceVerification read_verification_fields(const json& v, const SourceVerification& stored) {
  SourceVerification out;
  const auto type_name = read_string(v, "type", 32);
  const auto type = verification_from_name(type_name.value_or("none"));
  if (!type) {
    throw validation_error("type: must be none, hmac, standard_webhooks, basic or api_key");
  }
  out.type = *type;
  const bool same_type = stored.type == out.type;
  switch (out.type) {
    case VerificationType::kNone:
      break;
    case VerificationType::kHmac: {
      out.header = read_header_name(v, "header", true);
      out.secret = read_secret(v, "secret", same_type ? stored.secret : "");
      out.algorithm = read_string(v, "algorithm", 16).value_or("sha256");
      if (out.algorithm != "sha256" && out.algorithm != "sha512") {
        throw validation_error("algorithm: must be sha256 or sha512");
      }
      out.encoding = read_string(v, "encoding", 16).value_or("hex");
      if (out.encoding != "hex" && out.encoding != "base64") {
        throw validation_error("encoding: must be hex or base64");
      }
      out.prefix = read_string(v, "prefix", 64).value_or("");
      out.timestamp_header = read_header_name(v, "timestampHeader", false);
      out.tolerance_s = read_int(v, "toleranceSeconds", 1, 86'400).value_or(300);
      break;
    }
    case VerificationType::kStandardWebhooks:
      out.secret = read_secret(v, "secret", same_type ? stored.secret : "");
      if (!signing::decode_secret(out.secret)) {
        throw validation_error("secret: must be whsec_ followed by base64 of 24 to 64 bytes");
      }
      out.tolerance_s = read_int(v, "toleranceSeconds", 1, 86'400).value_or(300);
      break;
    case VerificationType::kBasic: {
      auto username = read_string(v, "username", 256);
      if (!username || username->empty()) throw validation_error("username: required");
      if (username->find(':') != std::string::npos) {
        throw validation_error("username: must not contain ':'");
      }
      out.username = *username;
      out.password = read_secret(v, "password", same_type ? stored.password : "");
      break;
    }
    case VerificationType::kApiKey:
      out.header = read_header_name(v, "header", true);
      out.key = read_secret(v, "key", same_type ? stored.key : "");
      break;
  }
  return out;
}

SourceVerification read_verification(const json& body, const SourceVerification& stored) {
  auto it = body.find("verification");
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_object()) throw validation_error("verification: must be an object with a type");
  try {
    return read_verification_fields(*it, stored);
  } catch (const ApiError& e) {
    throw ApiError(e.status(), e.code(), std::string("verification.") + e.what());
  }
}

void read_forward(ApiContext& ctx, const json& body, bool full, InboundSource& src) {
  auto it = body.find("forward");
  if (it == body.end() && !full) return;
  if (it == body.end() || it->is_null()) {
    src.forward_app_id.clear();
    src.forward_event_type.clear();
    return;
  }
  if (!it->is_object()) throw validation_error("forward: must be an object {appId, eventType}");
  const auto app_ref = read_string(*it, "appId", 256);
  if (!app_ref || app_ref->empty()) throw validation_error("forward.appId: required");
  const auto app = ctx.catalog.find_app(*app_ref);
  if (!app) throw validation_error("forward.appId: application " + *app_ref + " not found");
  const auto event_type = read_string(*it, "eventType", 256);
  if (!event_type || event_type->empty()) throw validation_error("forward.eventType: required");
  const auto et = ctx.catalog.find_event_type(*event_type);
  if (!et || et->archived) {
    throw validation_error("forward.eventType: unknown event type " + *event_type);
  }
  src.forward_app_id = app->id;
  src.forward_event_type = *event_type;
}

// Applies the fields present in `body`; with `full` (create, PUT) absent fields are reset.
void apply_source_fields(ApiContext& ctx, const json& body, const Application& app,
                         InboundSource& src, bool full) {
  reject_unknown_fields(body, {"name", "uid", "kind", "webhookId", "clientId", "verification",
                               "maxBodyBytes", "forward", "idHeader", "idField", "activities"});
  if (auto name = read_string(body, "name", 256)) {
    src.name = *name;
  } else if (full) {
    src.name.clear();
  }
  if (auto kind = read_string(body, "kind", 16)) {
    const auto parsed = kind_from_name(*kind);
    if (!parsed) throw validation_error("kind: must be skalin or generic");
    src.kind = *parsed;
  } else if (full) {
    src.kind = SourceKind::kSkalin;
  }
  if (auto uid = read_string(body, "uid", 256)) {
    if (auto problem = check_uid(*uid); !problem.empty()) throw validation_error(problem);
    for (const auto& other : ctx.catalog.list_sources(app.id)) {
      if (other->uid == *uid && other->id != src.id) {
        throw ApiError(409, "conflict", "uid: another source of this application has it");
      }
    }
    src.uid = *uid;
  } else if (full) {
    src.uid.clear();
  }
  if (auto webhook_id = read_public_id(body, "webhookId"); !webhook_id.empty()) {
    src.webhook_id = webhook_id;
  }
  if (src.webhook_id.empty()) src.webhook_id = random_hex(8);
  if (auto existing = ctx.catalog.source_by_webhook_id(src.webhook_id);
      existing && existing->id != src.id) {
    throw ApiError(409, "conflict", "webhookId: another source has " + src.webhook_id);
  }
  if (body.contains("clientId")) {
    src.client_id = read_public_id(body, "clientId");  // null clears it
  }
  if (src.kind == SourceKind::kSkalin && src.client_id.empty()) src.client_id = random_hex(8);
  if (body.contains("verification") || full) {
    src.verification = read_verification(body, src.verification);
  }
  if (auto max_body = read_int(body, "maxBodyBytes", 1, ctx.options.max_body_bytes)) {
    src.max_body_bytes = *max_body;
  } else if (full) {
    src.max_body_bytes = 0;
  }
  read_forward(ctx, body, full, src);
  if (body.contains("idHeader") || full) {
    src.id_header = read_header_name(body, "idHeader", false);
  }
  if (auto id_field = read_string(body, "idField", 256)) {
    src.id_field = *id_field;
  } else if (full) {
    src.id_field.clear();
  }
  if (auto activities = read_bool(body, "activities")) {
    src.activities = *activities;
  } else if (full) {
    src.activities = false;
  }
  if (src.activities && src.kind != SourceKind::kSkalin) {
    throw validation_error(
        "activities: only skalin sources have the customerId and event name an activity needs");
  }
}

SourcePtr require_source(ApiContext& ctx, const Application& app, const std::string& id_or_uid) {
  auto src = ctx.catalog.find_source(app.id, id_or_uid);
  if (!src) throw not_found("source " + id_or_uid);
  return src;
}

HttpResponse save(ApiContext& ctx, const InboundSource& src, int status) {
  check_write(ctx.writer.put(src));
  return json_response(status, dump(render(src, ctx.options.max_body_bytes)));
}

// An application's token may forward its inbound events into its own application only.
void check_forward_scope(const Caller& caller, const InboundSource& src) {
  if (caller.application_scoped() && !src.forward_app_id.empty() &&
      src.forward_app_id != caller.app_id) {
    throw ApiError(403, "forbidden",
                   "forward.appId: application token " + caller.token_id +
                       " may forward into application " + caller.app_id + " only");
  }
}

}  // namespace

HttpResponse list_sources(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(
      200, render_page(
               ctx.catalog.list_sources(app.id), read_page(req),
               [](const SourcePtr& s) { return s->id; },
               [&](const SourcePtr& s) { return dump(render(*s, ctx.options.max_body_bytes)); }));
}

HttpResponse create_source(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  InboundSource src;
  src.id = new_id("src_");
  src.app_id = app.id;
  apply_source_fields(ctx, body, app, src, true);
  check_forward_scope(req.caller, src);
  src.created_at = src.updated_at = now_unix_ms();
  return save(ctx, src, 201);
}

HttpResponse get_source(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(200,
                       dump(render(*require_source(ctx, app, p[1]), ctx.options.max_body_bytes)));
}

HttpResponse update_source(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  InboundSource src = *require_source(ctx, app, p[1]);
  apply_source_fields(ctx, body, app, src, req.method == "PUT");
  check_forward_scope(req.caller, src);
  src.updated_at = now_unix_ms();
  return save(ctx, src, 200);
}

HttpResponse delete_source(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  check_write(ctx.writer.remove_source(src->id));
  return empty_response(204);
}

HttpResponse list_inbound_events(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  InboundEventFilter filter;
  filter.customer_id = query_value(req, "customerId");
  filter.name = query_value(req, "name");
  filter.since = read_query_time(req, "since");
  filter.until = read_query_time(req, "until");
  const Page page = read_page(req);
  auto rows = ctx.store.list_inbound_events(src->id, filter, page);
  return json_response(
      200, render_store_page(rows, page, [](const InboundEvent& e) { return render(e); }));
}

HttpResponse get_inbound_event(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  auto event = ctx.store.get_inbound_event(src->id, p[2]);
  if (!event) throw not_found("event " + p[2]);
  return json_response(200, render(*event));
}

HttpResponse list_customers(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  const Page page = read_page(req);
  auto rows = ctx.store.customer_summaries(src->id, "", page);
  const bool more = static_cast<int>(rows.size()) > page.limit;
  if (more) rows.resize(static_cast<size_t>(page.limit));
  std::vector<std::string> items;
  for (const auto& row : rows) items.push_back(dump(render(row)));
  return json_response(200, render_list(items, more, rows.empty() ? "" : rows.back().customer_id));
}

HttpResponse get_customer(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  auto rows = ctx.store.customer_summaries(src->id, p[2], Page{1, ""});
  if (rows.empty()) throw not_found("customer " + p[2]);
  return json_response(200, dump(render(rows.front())));
}

HttpResponse list_rejections(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const SourcePtr src = require_source(ctx, app, p[1]);
  const Page page = read_page(req);
  auto rows = ctx.store.list_rejections(src->id, page);
  std::string list =
      render_store_page(rows, page, [](const InboundRejection& r) { return dump(render(r)); });
  // The rows are a sample of the newest; the counts cover every rejection.
  int64_t total = 0;
  json reasons = json::array();
  for (const auto& c : ctx.store.rejection_counts(src->id)) {
    total += c.count;
    reasons.push_back(
        {{"reason", c.reason}, {"count", c.count}, {"lastAt", format_rfc3339(c.last_at)}});
  }
  list.pop_back();  // the closing brace of the list object
  list += ",\"totalCount\":" + std::to_string(total) + ",\"reasons\":" + dump(reasons) + "}";
  return json_response(200, std::move(list));
}

}  // namespace hookd::api
