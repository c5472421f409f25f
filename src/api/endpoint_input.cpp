#include "api/endpoint_input.h"

#include <strings.h>

#include <algorithm>
#include <stdexcept>

#include "api/http.h"
#include "api/json_io.h"
#include "api/validation.h"
#include "common/time.h"
#include "delivery/payload_transform.h"
#include "filter/filter.h"
#include "signing/asymmetric.h"

namespace hookd::api {

namespace {

constexpr std::string_view kReservedHeaders[] = {
    "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
    "host",       "transfer-encoding", "connection",        "expect"};
constexpr size_t kMaxHeaders = 20;
constexpr int64_t kMaxBatchEvents = 1'000;
constexpr int64_t kMaxBatchWaitMs = 300'000;  // five minutes
constexpr std::string_view kMasked = "********";

// What a `null` does to a field: reset it, or count as absent (kept by PATCH, reset by PUT).
enum class OnNull { kReset, kAbsent };

// The rule every endpoint field follows: a present, non-null value goes to `set`; `reset` runs
// when the field is absent from a full body (create, PUT), and for `null` when `on_null` says.
template <class Set, class Reset>
void apply_field(const json& body, const char* name, bool full, OnNull on_null, Set set,
                 Reset reset) {
  const auto it = body.find(name);
  if (it != body.end() && !it->is_null()) {
    set(*it);
  } else if (full || (it != body.end() && on_null == OnNull::kReset)) {
    reset();
  }
}

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

void set_basic_auth(const json& value, Endpoint& ep) {
  if (!value.is_object()) throw validation_error("basicAuth: must be {username, password} or null");
  const auto username = read_string(value, "username", 256);
  if (!username || username->empty()) throw validation_error("basicAuth.username: required");
  if (username->find(':') != std::string::npos ||
      username->find_first_of("\r\n") != std::string::npos) {
    throw validation_error("basicAuth.username: must not contain ':' or line breaks");
  }
  const auto password = read_string(value, "password", 1024);
  if (!password) throw validation_error("basicAuth.password: required");
  if (*password == kMasked) {
    if (ep.basic_password.empty()) throw validation_error("basicAuth.password: required");
  } else {
    ep.basic_password = *password;
  }
  ep.basic_username = *username;
}

// batch.<field>: an integer from min to max; `fallback` when absent or null (required when
// negative).
int64_t batch_integer(const json& batch, const char* field, int64_t min, int64_t max,
                      int64_t fallback) {
  auto value = batch.find(field);
  if (value == batch.end() || value->is_null()) {
    if (fallback >= 0) return fallback;
    throw validation_error(std::string("batch.") + field + ": required");
  }
  if (!value->is_number_integer() || value->get<int64_t>() < min || value->get<int64_t>() > max) {
    throw validation_error(std::string("batch.") + field + ": must be an integer from " +
                           std::to_string(min) + " to " + std::to_string(max));
  }
  return value->get<int64_t>();
}

// "batch": {maxEvents, maxWaitMs?, envelopeKey?} (docs/endpoint-options.md).
void set_batch(const json& batch, Endpoint& ep) {
  if (!batch.is_object()) {
    throw validation_error("batch: must be {maxEvents, maxWaitMs, envelopeKey} or null");
  }
  const int64_t max_events = batch_integer(batch, "maxEvents", 1, kMaxBatchEvents, -1);
  const int64_t max_wait = batch_integer(batch, "maxWaitMs", 0, kMaxBatchWaitMs, 1'000);
  std::string key;
  if (auto k = batch.find("envelopeKey"); k != batch.end() && !k->is_null()) {
    if (!k->is_string() || k->get<std::string>().empty() || k->get<std::string>().size() > 256) {
      throw validation_error("batch.envelopeKey: must be a string of 1 to 256 characters");
    }
    key = k->get<std::string>();
  }
  for (const auto& [name, value] : batch.items()) {
    if (name != "maxEvents" && name != "maxWaitMs" && name != "envelopeKey") {
      throw validation_error("batch." + name +
                             ": unknown field (maxEvents, maxWaitMs, envelopeKey)");
    }
  }
  ep.batch_max_events = static_cast<int>(max_events);
  ep.batch_max_wait_ms = max_wait;
  ep.batch_key = std::move(key);
}

std::vector<int64_t> read_retry_schedule(const json& value) {
  const char* rule =
      "retrySchedule: must be a list of 1 to 20 delays like \"5m\", each at most 7 days";
  if (!value.is_array() || value.empty() || value.size() > 20) throw validation_error(rule);
  std::vector<int64_t> delays;
  for (const auto& item : value) {
    const auto ms = item.is_string() ? parse_duration_ms(item.get<std::string>()) : std::nullopt;
    if (!ms || *ms <= 0 || *ms > 7 * 86'400'000LL) throw validation_error(rule);
    delays.push_back(*ms);
  }
  return delays;
}

std::vector<std::string> read_field_selection(const json& value) {
  if (!value.is_array() || value.empty() || value.size() > 100) {
    throw validation_error("fieldSelection: must be a list of 1 to 100 payload paths");
  }
  std::vector<std::string> paths;
  for (const auto& item : value) {
    if (!item.is_string() || !is_selection_path(item.get<std::string>())) {
      throw validation_error("fieldSelection: " + item.dump() +
                             " is not a path like \"contact.email\"");
    }
    paths.push_back(item.get<std::string>());
  }
  return paths;
}

// "signing": {type, header?}; a new scheme gets a new key.
void set_signing(const json& value, const EndpointInputContext& ctx, Endpoint& ep) {
  if (!value.is_object()) throw validation_error("signing: must be {type, header?}");
  const std::string type = read_string(value, "type", 16).value_or("hmac");
  if (type != "hmac" && type != "ed25519" && type != "rsa") {
    throw validation_error("signing.type: must be hmac, ed25519 or rsa");
  }
  std::string header;
  if (type == "rsa") {
    header = read_string(value, "header", 256).value_or("X-Signature");
    if (!is_http_token(header)) throw validation_error("signing.header: not a header name");
    for (const auto reserved : kReservedHeaders) {
      if (same_name(header, reserved)) {
        throw validation_error("signing.header: " + header + " is reserved");
      }
    }
  }
  if (type != ep.signing_type) {
    ep.signing_key_pem.clear();
    if (type != "hmac") {
      if (ctx.new_signing_key_pem.empty()) {
        throw std::logic_error("endpoint input: no key prepared (new_signing_key_for)");
      }
      ep.signing_key_pem = ctx.new_signing_key_pem;
    }
  }
  ep.signing_type = type;
  ep.signature_header = header;
}

void reset_signing(Endpoint& ep) {
  ep.signing_type = "hmac";
  ep.signature_header.clear();
  ep.signing_key_pem.clear();
}

void check_url(const std::string& url, const EndpointInputContext& ctx) {
  if (auto problem = check_endpoint_url(url, ctx.address_policy); !problem.empty()) {
    throw validation_error(problem);
  }
  if (ctx.https_only && !(url.size() > 8 && strncasecmp(url.c_str(), "https://", 8) == 0)) {
    throw validation_error("url: must be https:// (this server has https_only set)");
  }
}

// url, description and eventTypes (alias filterTypes).
void apply_subscription(const json& body, bool full, const EndpointInputContext& ctx,
                        Endpoint& ep) {
  apply_field(
      body, "url", full, OnNull::kAbsent,
      [&](const json&) {
        const auto url = *read_string(body, "url", 65536);
        check_url(url, ctx);
        ep.url = url;
      },
      [] { throw validation_error("url: required"); });
  apply_field(
      body, "description", full, OnNull::kAbsent,
      [&](const json&) { ep.description = *read_string(body, "description", 8192); },
      [&] { ep.description.clear(); });
  const char* types_field = body.contains("eventTypes") ? "eventTypes" : "filterTypes";
  apply_field(
      body, types_field, full, OnNull::kAbsent,
      [&](const json&) {
        auto types = *read_names(body, types_field, 1000);
        if (ctx.check_event_types) ctx.check_event_types(types, types_field);
        ep.event_types = std::move(types);
      },
      [&] { ep.event_types.clear(); });
}

// channels, disabled and uid.
void apply_routing(const json& body, bool full, const EndpointInputContext& ctx, Endpoint& ep) {
  apply_field(
      body, "channels", full, OnNull::kAbsent,
      [&](const json&) { ep.channels = *read_names(body, "channels", 10); },
      [&] { ep.channels.clear(); });
  apply_field(
      body, "disabled", full, OnNull::kAbsent,
      [&](const json&) { ep.disabled = *read_bool(body, "disabled"); },
      [&] { ep.disabled = false; });
  if (!ep.disabled) {  // enabled by its owner: hookd's reason no longer applies
    ep.disabled_reason.clear();
    ep.disabled_at = 0;
  }
  apply_field(
      body, "uid", full, OnNull::kAbsent,
      [&](const json&) {
        auto uid = *read_string(body, "uid", 256);
        if (auto problem = check_uid(uid); !problem.empty()) throw validation_error(problem);
        if (ctx.check_uid_free) ctx.check_uid_free(uid);
        ep.uid = std::move(uid);
      },
      [&] { ep.uid.clear(); });
}

// label, basicAuth and headers.
void apply_request_options(const json& body, bool full, Endpoint& ep) {
  apply_field(
      body, "label", full, OnNull::kReset,
      [&](const json&) {
        auto label = *read_string(body, "label", 1024);
        if (utf8_length(label) > 256) throw validation_error("label: longer than 256 characters");
        ep.label = std::move(label);
      },
      [&] { ep.label.clear(); });
  apply_field(
      body, "basicAuth", full, OnNull::kReset, [&](const json& v) { set_basic_auth(v, ep); },
      [&] {
        ep.basic_username.clear();
        ep.basic_password.clear();
      });
  apply_field(
      body, "headers", full, OnNull::kReset,
      [&](const json& v) {
        std::vector<std::pair<std::string, std::string>> headers;
        merge_headers(v, headers, !ep.basic_username.empty());
        ep.headers = std::move(headers);
      },
      [&] { ep.headers.clear(); });
  if (!ep.basic_username.empty()) {
    for (const auto& [name, value] : ep.headers) {
      if (same_name(name, "authorization")) {
        throw validation_error("headers: " + name + ": reserved while basicAuth is set");
      }
    }
  }
}

// format and successPolicy.
void apply_exchange_options(const json& body, bool full, Endpoint& ep) {
  apply_field(
      body, "format", full, OnNull::kAbsent,
      [&](const json&) {
        const auto format = *read_string(body, "format", 16);
        if (format != "json" && format != "form") {
          throw validation_error("format: must be json or form");
        }
        ep.form_format = format == "form";
      },
      [&] { ep.form_format = false; });
  apply_field(
      body, "successPolicy", full, OnNull::kAbsent,
      [&](const json&) {
        const auto policy = *read_string(body, "successPolicy", 16);
        if (policy != "2xx" && policy != "200") {
          throw validation_error("successPolicy: must be 2xx or 200");
        }
        ep.success_only_200 = policy == "200";
      },
      [&] { ep.success_only_200 = false; });
}

// retrySchedule, filter, fieldSelection and extraFields.
void apply_delivery_options(const json& body, bool full, Endpoint& ep) {
  apply_field(
      body, "retrySchedule", full, OnNull::kReset,
      [&](const json& v) { ep.retry_delays_ms = read_retry_schedule(v); },
      [&] { ep.retry_delays_ms.clear(); });
  apply_field(
      body, "filter", full, OnNull::kReset,
      [&](const json&) {
        const auto filter = *read_object(body, "filter");
        if (auto compiled = PayloadFilter::compile(filter); !compiled) {
          throw validation_error(compiled.problem());
        }
        ep.filter_json = filter;  // the catalog compiles it again when it takes the endpoint in
      },
      [&] { ep.filter_json.clear(); });
  apply_field(
      body, "fieldSelection", full, OnNull::kReset,
      [&](const json& v) { ep.field_selection = read_field_selection(v); },
      [&] { ep.field_selection.clear(); });
  apply_field(
      body, "extraFields", full, OnNull::kReset,
      [&](const json&) {
        const auto extra = *read_object(body, "extraFields");
        if (extra.size() > 16'384) throw validation_error("extraFields: larger than 16 KiB");
        ep.extra_fields_json = extra == "{}" ? "" : extra;
      },
      [&] { ep.extra_fields_json.clear(); });
}

// signing, batch and requireTest.
void apply_sending_options(const json& body, bool full, const EndpointInputContext& ctx,
                           Endpoint& ep) {
  apply_field(
      body, "signing", full, OnNull::kReset, [&](const json& v) { set_signing(v, ctx, ep); },
      [&] { reset_signing(ep); });
  apply_field(
      body, "batch", full, OnNull::kReset, [&](const json& v) { set_batch(v, ep); },
      [&] {
        ep.batch_max_events = 0;
        ep.batch_max_wait_ms = 0;
        ep.batch_key.clear();
      });
  apply_field(
      body, "requireTest", full, OnNull::kAbsent,
      [&](const json&) { ep.require_test = *read_bool(body, "requireTest"); },
      [&] { ep.require_test = false; });
}

}  // namespace

void apply_endpoint_input(const json& body, bool full, const EndpointInputContext& ctx,
                          Endpoint& ep) {
  apply_subscription(body, full, ctx, ep);
  apply_routing(body, full, ctx, ep);
  read_metadata_and_rate(body, full, ep.metadata_json, ep.throttle_rate);
  apply_field(
      body, "maxConcurrency", full, OnNull::kReset,
      [&](const json&) {
        ep.max_concurrency = static_cast<int>(*read_int(body, "maxConcurrency", 1, 1000));
      },
      [&] { ep.max_concurrency.reset(); });
  read_alert_settings(body, full, ep.alerts);
  apply_request_options(body, full, ep);
  apply_exchange_options(body, full, ep);
  apply_delivery_options(body, full, ep);
  apply_sending_options(body, full, ctx, ep);
}

std::string new_signing_key_for(const json& body) {
  const auto it = body.find("signing");
  if (it == body.end() || !it->is_object()) return "";
  const auto type = it->find("type");
  if (type == it->end() || !type->is_string()) return "";
  if (*type == "ed25519")
    return signing::SigningKey::generate(signing::KeyType::kEd25519)->private_pem();
  if (*type == "rsa") return signing::SigningKey::generate(signing::KeyType::kRsa)->private_pem();
  return "";
}

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

void delete_headers(const std::vector<std::string>& names,
                    std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& name : names) {
    std::erase_if(headers, [&](const auto& h) { return same_name(h.first, name); });
  }
}

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

}  // namespace hookd::api
