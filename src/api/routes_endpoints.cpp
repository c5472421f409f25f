// /api/v1/app/{app}/endpoint: where an application's messages are delivered.
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>

#include "api/api.h"
#include "api/json_io.h"
#include "api/validation.h"
#include "common/ids.h"
#include "common/time.h"
#include "delivery/payload_transform.h"
#include "filter/filter.h"
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

void check_event_types_exist(ApiContext& ctx, const std::vector<std::string>& names,
                             const char* field) {
  for (const auto& name : names) {
    auto et = ctx.catalog.find_event_type(name);
    if (!et || et->archived) {
      throw validation_error(std::string(field) + ": unknown event type " + name);
    }
  }
}

constexpr std::string_view kReservedHeaders[] = {
    "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
    "host",       "transfer-encoding", "connection",        "expect"};
constexpr size_t kMaxHeaders = 20;
constexpr int64_t kMaxBatchEvents = 1'000;
constexpr int64_t kMaxBatchWaitMs = 300'000;  // five minutes
constexpr std::string_view kMasked = "********";

// Characters (code points) of UTF-8 text; JSON strings are valid UTF-8.
size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

void check_header(const std::string& name, const std::string& value, bool basic_auth) {
  if (!is_http_token(name)) {
    throw validation_error("headers: " + name + ": not a valid header name (an HTTP token)");
  }
  for (const auto reserved : kReservedHeaders) {
    if (same_name(name, reserved)) {
      throw validation_error("headers: " + name + ": reserved; hookd sets it");
    }
  }
  if (basic_auth && same_name(name, "authorization")) {
    throw validation_error("headers: " + name + ": reserved while basicAuth is set");
  }
  if (utf8_length(value) > 4096 ||
      value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    throw validation_error("headers: " + name +
                           ": the value must be at most 4096 characters without CR, LF or NUL");
  }
}

// Sets (or, for null, deletes) each header of `object` in `headers`, by case-insensitive name.
void merge_headers(const json& object, std::vector<std::pair<std::string, std::string>>& headers,
                   bool basic_auth) {
  if (!object.is_object()) throw validation_error("headers: must be an object of name: value");
  for (const auto& item : object.items()) {
    const std::string& name = item.key();
    const json& value = item.value();
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const auto& h) { return same_name(h.first, name); });
    if (value.is_null()) {
      if (it != headers.end()) headers.erase(it);
      continue;
    }
    if (!value.is_string()) throw validation_error("headers: " + name + ": must be a string");
    check_header(name, value.get<std::string>(), basic_auth);
    if (it != headers.end()) {
      *it = {name, value.get<std::string>()};
    } else {
      headers.emplace_back(name, value.get<std::string>());
    }
  }
  if (headers.size() > kMaxHeaders) {
    throw validation_error("headers: at most " + std::to_string(kMaxHeaders) + " headers");
  }
}

void read_basic_auth(const json& body, bool full, Endpoint& ep) {
  auto it = body.find("basicAuth");
  if (it == body.end() && !full) return;
  if (it == body.end() || it->is_null()) {
    ep.basic_username.clear();
    ep.basic_password.clear();
    return;
  }
  if (!it->is_object()) throw validation_error("basicAuth: must be {username, password} or null");
  const auto username = read_string(*it, "username", 256);
  if (!username || username->empty()) throw validation_error("basicAuth.username: required");
  if (username->find(':') != std::string::npos ||
      username->find_first_of("\r\n") != std::string::npos) {
    throw validation_error("basicAuth.username: must not contain ':' or line breaks");
  }
  const auto password = read_string(*it, "password", 1024);
  if (!password) throw validation_error("basicAuth.password: required");
  if (*password == kMasked) {
    if (ep.basic_password.empty()) throw validation_error("basicAuth.password: required");
  } else {
    ep.basic_password = *password;
  }
  ep.basic_username = *username;
}

// "batch": {maxEvents, maxWaitMs?, envelopeKey?} or null (docs/endpoint-options.md).
void read_batch(const json& body, bool full, Endpoint& ep) {
  auto it = body.find("batch");
  if (it == body.end() && !full) return;
  if (it == body.end() || it->is_null()) {
    ep.batch_max_events = 0;
    ep.batch_max_wait_ms = 0;
    ep.batch_key.clear();
    return;
  }
  if (!it->is_object()) {
    throw validation_error("batch: must be {maxEvents, maxWaitMs, envelopeKey} or null");
  }
  const auto integer = [&](const char* field, int64_t min, int64_t max,
                           int64_t fallback) -> int64_t {
    auto value = it->find(field);
    if (value == it->end() || value->is_null()) {
      if (fallback >= 0) return fallback;
      throw validation_error(std::string("batch.") + field + ": required");
    }
    if (!value->is_number_integer() || value->get<int64_t>() < min || value->get<int64_t>() > max) {
      throw validation_error(std::string("batch.") + field + ": must be an integer from " +
                             std::to_string(min) + " to " + std::to_string(max));
    }
    return value->get<int64_t>();
  };
  const int64_t max_events = integer("maxEvents", 1, kMaxBatchEvents, -1);
  const int64_t max_wait = integer("maxWaitMs", 0, kMaxBatchWaitMs, 1'000);
  std::string key;
  if (auto k = it->find("envelopeKey"); k != it->end() && !k->is_null()) {
    if (!k->is_string() || k->get<std::string>().empty() || k->get<std::string>().size() > 256) {
      throw validation_error("batch.envelopeKey: must be a string of 1 to 256 characters");
    }
    key = k->get<std::string>();
  }
  for (const auto& [name, value] : it->items()) {
    if (name != "maxEvents" && name != "maxWaitMs" && name != "envelopeKey") {
      throw validation_error("batch." + name +
                             ": unknown field (maxEvents, maxWaitMs, envelopeKey)");
    }
  }
  ep.batch_max_events = static_cast<int>(max_events);
  ep.batch_max_wait_ms = max_wait;
  ep.batch_key = std::move(key);
}

void read_delivery_options(const json& body, bool full, Endpoint& ep) {
  if (auto label = read_string(body, "label", 1024)) {
    if (utf8_length(*label) > 256) throw validation_error("label: longer than 256 characters");
    ep.label = *label;
  } else if (full || (body.contains("label") && body["label"].is_null())) {
    ep.label.clear();
  }
  read_basic_auth(body, full, ep);
  if (auto it = body.find("headers"); it != body.end() && !it->is_null()) {
    std::vector<std::pair<std::string, std::string>> headers;
    merge_headers(*it, headers, !ep.basic_username.empty());
    ep.headers = std::move(headers);
  } else if (full || it != body.end()) {
    ep.headers.clear();
  }
  if (!ep.basic_username.empty()) {
    for (const auto& [name, value] : ep.headers) {
      if (same_name(name, "authorization")) {
        throw validation_error("headers: " + name + ": reserved while basicAuth is set");
      }
    }
  }
  if (auto format = read_string(body, "format", 16)) {
    if (*format != "json" && *format != "form")
      throw validation_error("format: must be json or form");
    ep.form_format = *format == "form";
  } else if (full) {
    ep.form_format = false;
  }
  if (auto policy = read_string(body, "successPolicy", 16)) {
    if (*policy != "2xx" && *policy != "200") {
      throw validation_error("successPolicy: must be 2xx or 200");
    }
    ep.success_only_200 = *policy == "200";
  } else if (full) {
    ep.success_only_200 = false;
  }
  if (auto it = body.find("retrySchedule"); it != body.end() && !it->is_null()) {
    const char* rule =
        "retrySchedule: must be a list of 1 to 20 delays like \"5m\", each at most 7 days";
    if (!it->is_array() || it->empty() || it->size() > 20) throw validation_error(rule);
    std::vector<int64_t> delays;
    for (const auto& item : *it) {
      const auto ms = item.is_string() ? parse_duration_ms(item.get<std::string>()) : std::nullopt;
      if (!ms || *ms <= 0 || *ms > 7 * 86'400'000LL) throw validation_error(rule);
      delays.push_back(*ms);
    }
    ep.retry_delays_ms = std::move(delays);
  } else if (full || it != body.end()) {
    ep.retry_delays_ms.clear();
  }
  if (auto filter = read_object(body, "filter")) {
    std::string error;
    auto compiled = PayloadFilter::compile(*filter, error);
    if (!compiled) throw validation_error(error);
    ep.filter_json = *filter;
    ep.filter = std::move(compiled);
  } else if (full || body.contains("filter")) {
    ep.filter_json.clear();
    ep.filter.reset();
  }
  if (auto it = body.find("fieldSelection"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || it->size() > 100) {
      throw validation_error("fieldSelection: must be a list of 1 to 100 payload paths");
    }
    std::vector<std::string> paths;
    for (const auto& item : *it) {
      if (!item.is_string() || !is_selection_path(item.get<std::string>())) {
        throw validation_error("fieldSelection: " + item.dump() +
                               " is not a path like \"contact.email\"");
      }
      paths.push_back(item.get<std::string>());
    }
    ep.field_selection = std::move(paths);
  } else if (full || it != body.end()) {
    ep.field_selection.clear();
  }
  if (auto extra = read_object(body, "extraFields")) {
    if (extra->size() > 16'384) throw validation_error("extraFields: larger than 16 KiB");
    ep.extra_fields_json = *extra == "{}" ? "" : *extra;
  } else if (full || body.contains("extraFields")) {
    ep.extra_fields_json.clear();
  }
  if (auto it = body.find("signing"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) throw validation_error("signing: must be {type, header?}");
    const std::string type = read_string(*it, "type", 16).value_or("hmac");
    if (type != "hmac" && type != "ed25519" && type != "rsa") {
      throw validation_error("signing.type: must be hmac, ed25519 or rsa");
    }
    std::string header;
    if (type == "rsa") {
      header = read_string(*it, "header", 256).value_or("X-Signature");
      if (!is_http_token(header)) throw validation_error("signing.header: not a header name");
      for (const auto reserved : kReservedHeaders) {
        if (same_name(header, reserved)) {
          throw validation_error("signing.header: " + header + " is reserved");
        }
      }
    }
    if (type != ep.signing_type) {  // a new scheme gets a new key
      ep.signing_key.reset();
      ep.signing_key_pem.clear();
      if (type != "hmac") {
        ep.signing_key = signing::SigningKey::generate(type == "rsa" ? signing::KeyType::kRsa
                                                                     : signing::KeyType::kEd25519);
        ep.signing_key_pem = ep.signing_key->private_pem();
      }
    }
    ep.signing_type = type;
    ep.signature_header = header;
  } else if (full || it != body.end()) {
    ep.signing_type = "hmac";
    ep.signature_header.clear();
    ep.signing_key.reset();
    ep.signing_key_pem.clear();
  }
  read_batch(body, full, ep);
  if (auto require = read_bool(body, "requireTest")) {
    ep.require_test = *require;
  } else if (full) {
    ep.require_test = false;
  }
}

// Applies the fields present in `body`; with `full` (create, PUT) absent fields are reset.
void apply_endpoint_fields(ApiContext& ctx, const json& body, const Application& app, Endpoint& ep,
                           bool full) {
  if (auto url = read_string(body, "url", 65536)) {
    if (auto problem = check_endpoint_url(*url, ctx.options.address_policy); !problem.empty()) {
      throw validation_error(problem);
    }
    if (ctx.options.https_only &&
        !(url->size() > 8 && strncasecmp(url->c_str(), "https://", 8) == 0)) {
      throw validation_error("url: must be https:// (this server has https_only set)");
    }
    ep.url = *url;
  } else if (full) {
    throw validation_error("url: required");
  }
  if (auto description = read_string(body, "description", 8192)) {
    ep.description = *description;
  } else if (full) {
    ep.description.clear();
  }
  const char* types_field = body.contains("eventTypes") ? "eventTypes" : "filterTypes";
  if (auto types = read_names(body, types_field, 1000)) {
    check_event_types_exist(ctx, *types, types_field);
    ep.event_types = *types;
  } else if (full) {
    ep.event_types.clear();
  }
  if (auto channels = read_names(body, "channels", 10)) {
    ep.channels = *channels;
  } else if (full) {
    ep.channels.clear();
  }
  if (auto disabled = read_bool(body, "disabled")) {
    ep.disabled = *disabled;
  } else if (full) {
    ep.disabled = false;
  }
  if (!ep.disabled) {  // enabled by its owner: hookd's reason no longer applies
    ep.disabled_reason.clear();
    ep.disabled_at = 0;
  }
  if (auto uid = read_string(body, "uid", 256)) {
    if (auto problem = check_uid(*uid); !problem.empty()) throw validation_error(problem);
    for (const auto& other : ctx.catalog.list_endpoints(app.id)) {
      if (other->uid == *uid && other->id != ep.id) {
        throw ApiError(409, "conflict", "uid: another endpoint of this application has it");
      }
    }
    ep.uid = *uid;
  } else if (full) {
    ep.uid.clear();
  }
  read_metadata_and_rate(body, full, ep.metadata_json, ep.throttle_rate);
  if (auto concurrency = read_int(body, "maxConcurrency", 1, 1000)) {
    ep.max_concurrency = static_cast<int>(*concurrency);
  } else if (full || (body.contains("maxConcurrency") && body["maxConcurrency"].is_null())) {
    ep.max_concurrency.reset();
  }
  read_alert_settings(body, full, ep.alerts);
  read_delivery_options(body, full, ep);
}

// The fields of EndpointIn (Svix's, aliases included, and hookd's options); `secret` only at
// creation (later: .../secret/rotate).
void reject_unknown_endpoint_fields(const json& body, bool create) {
  if (!create && body.contains("secret")) {
    throw validation_error("secret: set at creation; rotate it with POST .../secret/rotate");
  }
  reject_unknown_fields(body, {"url",
                               "description",
                               "eventTypes",
                               "filterTypes",
                               "channels",
                               "disabled",
                               "uid",
                               "metadata",
                               "throttleRate",
                               "rateLimit",
                               "maxConcurrency",
                               "alertEmails",
                               "alertFrequency",
                               "secret",
                               "label",
                               "headers",
                               "basicAuth",
                               "format",
                               "batch",
                               "successPolicy",
                               "retrySchedule",
                               "filter",
                               "fieldSelection",
                               "extraFields",
                               "signing",
                               "requireTest"});
}

HttpResponse save(ApiContext& ctx, const Endpoint& before, const Endpoint& after, int status) {
  if (after.require_test && !after.disabled && (before.disabled || before.id.empty()) &&
      after.last_test_status != 200) {
    throw ApiError(409, "test_required",
                   "disabled: this endpoint requires a test that returned 200 before it is enabled "
                   "(POST .../endpoint/{id}/test)");
  }
  commit(ctx, write::PutEndpoint{after});
  ctx.catalog.put_endpoint(after);
  if (ctx.health) {
    ctx.health->endpoint_changed(before.id.empty() ? "endpoint.created" : "endpoint.updated",
                                 after);
  }
  if (before.disabled && !after.disabled && ctx.dispatcher) {
    // Deliveries kept while it was disabled resume now.
    ctx.dispatcher->wake_loader();
    if (ctx.health) ctx.health->endpoint_enabled(after);
  }
  return json_response(status, dump(render(after)));
}

}  // namespace

HttpResponse list_endpoints(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const Page page = read_page(req);
  return json_response(
      200, render_page(
               ctx.catalog.list_endpoints(app.id), page, [](const EndpointPtr& e) { return e->id; },
               [](const EndpointPtr& e) { return dump(render(*e)); }));
}

HttpResponse create_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_endpoint_fields(body, true);
  std::lock_guard lock(ctx.catalog_write_mu);
  const Application app = require_app(ctx, p[0]);
  Endpoint ep;
  ep.id = new_id("ep_");
  ep.app_id = app.id;
  apply_endpoint_fields(ctx, body, app, ep, true);
  const auto secret = read_string(body, "secret", 256);
  ep.secrets.push_back(make_secret(secret ? *secret : signing::generate_secret(), "secret"));
  ep.created_at = ep.updated_at = now_unix_ms();
  Endpoint none;
  return save(ctx, none, ep, 201);
}

HttpResponse get_endpoint(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(200, dump(render(*require_endpoint(ctx, app, p[1]))));
}

HttpResponse update_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_endpoint_fields(body, false);
  std::lock_guard lock(ctx.catalog_write_mu);
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr before = require_endpoint(ctx, app, p[1]);
  Endpoint ep = *before;
  apply_endpoint_fields(ctx, body, app, ep, req.method == "PUT");
  ep.updated_at = now_unix_ms();
  return save(ctx, *before, ep, 200);
}

HttpResponse delete_endpoint(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.catalog_write_mu);
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  commit(ctx, write::DeleteEndpoint{ep->id});
  ctx.catalog.remove_endpoint(ep->id);
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
  std::lock_guard lock(ctx.catalog_write_mu);
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

HttpResponse update_endpoint_headers(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  auto headers = body.find("headers");
  if (headers == body.end()) throw validation_error("headers: required");
  std::lock_guard lock(ctx.catalog_write_mu);
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr before = require_endpoint(ctx, app, p[1]);
  Endpoint ep = *before;
  if (req.method == "PUT") ep.headers.clear();
  if (!headers->is_null()) merge_headers(*headers, ep.headers, !ep.basic_username.empty());
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
