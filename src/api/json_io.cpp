#include "api/json_io.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/message_input.h"
#include "common/json_limits.h"
#include "common/time.h"
#include "signing/asymmetric.h"

namespace hookd::api {

json parse_body(const HttpRequest& req) {
  if (nests_deeper_than(req.body, max_json_depth())) {
    throw validation_error("body: " + nesting_detail());
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw ApiError(400, "invalid_json", "body: malformed JSON");
  if (!body.is_object()) throw validation_error("body: must be a JSON object");
  return body;
}

void reject_unknown_fields(const json& body, std::initializer_list<std::string_view> known,
                           std::initializer_list<std::string_view> unsupported) {
  const auto in = [](std::initializer_list<std::string_view> names, const std::string& key) {
    return std::find(names.begin(), names.end(), key) != names.end();
  };
  for (const auto& [key, value] : body.items()) {
    if (in(known, key)) continue;
    if (in(unsupported, key)) {
      if (value.is_null()) continue;
      throw validation_error(key + ": not supported by hookd (only null is accepted)");
    }
    std::string names;
    for (const auto name : known) names += (names.empty() ? "" : ", ") + std::string(name);
    throw validation_error(key + ": unknown field (expected one of: " + names + ")");
  }
}

std::optional<std::string> read_string(const json& body, const char* field, size_t max_len) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw validation_error(std::string(field) + ": must be a string");
  auto value = it->get<std::string>();
  if (value.size() > max_len) {
    throw validation_error(std::string(field) + ": longer than " + std::to_string(max_len) +
                           " characters");
  }
  return value;
}

std::optional<bool> read_bool(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw validation_error(std::string(field) + ": must be true or false");
  return it->get<bool>();
}

std::optional<int64_t> read_int(const json& body, const char* field, int64_t min, int64_t max) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw validation_error(std::string(field) + ": must be an integer");
  const auto value = it->get<int64_t>();
  if (value < min || value > max) {
    throw validation_error(std::string(field) + ": must be between " + std::to_string(min) +
                           " and " + std::to_string(max));
  }
  return value;
}

std::optional<std::string> read_object(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) throw validation_error(std::string(field) + ": must be a JSON object");
  return it->dump();
}

std::optional<std::vector<std::string>> read_names(const json& body, const char* field,
                                                   size_t max_items) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) throw validation_error(std::string(field) + ": must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string() || !is_valid_name(item.get<std::string>())) {
      throw validation_error(std::string(field) +
                             ": each entry must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
    }
    out.push_back(item.get<std::string>());
  }
  if (out.size() > max_items) {
    throw validation_error(std::string(field) + ": at most " + std::to_string(max_items) +
                           " entries");
  }
  return out;
}

void read_metadata_and_rate(const json& body, bool full, std::string& metadata_json,
                            std::optional<int64_t>& throttle_rate) {
  if (auto metadata = read_object(body, "metadata")) {
    metadata_json = *metadata;
  } else if (full) {
    metadata_json = "{}";
  }
  auto rate = read_int(body, "throttleRate", 1, 1'000'000);
  if (!rate) rate = read_int(body, "rateLimit", 1, 1'000'000);
  if (rate || full) throttle_rate = rate;
}

void read_alert_settings(const json& body, bool full, AlertSettings& alerts) {
  if (auto it = body.find("alertEmails"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 20) {
      throw validation_error("alertEmails: must be an array of at most 20 email addresses");
    }
    std::vector<std::string> emails;
    for (const auto& item : *it) {
      const std::string email = item.is_string() ? item.get<std::string>() : std::string();
      const auto at = email.find('@');
      if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 == email.size() ||
          email.find_first_of(" \t\r\n<>,;\"") != std::string::npos) {
        throw validation_error("alertEmails: not an email address: " + item.dump());
      }
      emails.push_back(email);
    }
    alerts.emails = std::move(emails);
  } else if (full) {
    alerts.emails.clear();
  }
  if (auto frequency = read_string(body, "alertFrequency", 16)) {
    if (*frequency != "immediate" && *frequency != "hourly" && *frequency != "daily") {
      throw validation_error("alertFrequency: must be immediate, hourly or daily");
    }
    alerts.frequency = *frequency;
  } else if (full) {
    alerts.frequency.clear();
  }
}

Page read_page(const HttpRequest& req) {
  Page page;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    int limit = 0;
    const auto& v = it->second;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || end != v.data() + v.size() || limit < 1 || limit > 250) {
      throw validation_error("limit: must be an integer from 1 to 250");
    }
    page.limit = limit;
  }
  if (auto it = req.query.find("iterator"); it != req.query.end()) page.iterator = it->second;
  return page;
}

bool read_query_bool(const HttpRequest& req, std::string_view name, bool fallback) {
  const auto it = req.query.find(std::string(name));
  if (it == req.query.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  throw validation_error(std::string(name) + ": must be true or false");
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {
json metadata(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}
json optional_int(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
json optional_string(const std::string& v) { return v.empty() ? json(nullptr) : json(v); }
}  // namespace

json render(const Application& app) {
  return {{"id", app.id},
          {"uid", optional_string(app.uid)},
          {"name", app.name},
          {"metadata", metadata(app.metadata_json)},
          {"throttleRate", optional_int(app.throttle_rate)},
          {"rateLimit", optional_int(app.throttle_rate)},
          {"alertEmails", app.alerts.emails},
          {"alertFrequency", optional_string(app.alerts.frequency)},
          {"createdAt", format_rfc3339(app.created_at)},
          {"updatedAt", format_rfc3339(app.updated_at)}};
}

json render(const EventType& et) {
  return {{"name", et.name},
          {"description", et.description},
          {"schemas", et.schemas_json.empty() ? json(nullptr) : json::parse(et.schemas_json)},
          {"example", et.example_json.empty() ? json(nullptr) : json::parse(et.example_json)},
          {"featureFlag", optional_string(et.feature_flag)},
          {"deprecated", et.deprecated},
          {"archived", et.archived},
          {"createdAt", format_rfc3339(et.created_at)},
          {"updatedAt", format_rfc3339(et.updated_at)}};
}

json render_headers(const Endpoint& ep) {
  json out = json::object();
  for (const auto& [name, value] : ep.headers) out[name] = value;
  return out;
}

namespace {
json render_retry_schedule(const Endpoint& ep) {
  if (ep.retry_delays_ms.empty()) return nullptr;
  json out = json::array();
  for (const int64_t ms : ep.retry_delays_ms) {
    static constexpr std::pair<int64_t, const char*> kUnits[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
    for (const auto& [scale, unit] : kUnits) {
      if (ms % scale == 0) {
        out.push_back(std::to_string(ms / scale) + unit);
        break;
      }
    }
  }
  return out;
}
}  // namespace

namespace {
json render_signing(const CatalogEndpoint& ep) {
  json out{{"type", ep.signing_type}};
  if (ep.signing_type == "rsa") out["header"] = ep.signature_header;
  if (ep.signing_type == "ed25519" && ep.signing_key)
    out["publicKey"] = ep.signing_key->public_whpk();
  return out;
}
}  // namespace

json render(const CatalogEndpoint& ep) {
  const json types = ep.event_types.empty() ? json(nullptr) : json(ep.event_types);
  return {{"id", ep.id},
          {"uid", optional_string(ep.uid)},
          {"url", ep.url},
          {"description", ep.description},
          {"eventTypes", types},
          {"filterTypes", types},
          {"channels", ep.channels.empty() ? json(nullptr) : json(ep.channels)},
          {"disabled", ep.disabled},
          {"disabledReason", optional_string(ep.disabled_reason)},
          {"disabledAt", ep.disabled_at ? json(format_rfc3339(ep.disabled_at)) : json(nullptr)},
          {"metadata", metadata(ep.metadata_json)},
          {"throttleRate", optional_int(ep.throttle_rate)},
          {"rateLimit", optional_int(ep.throttle_rate)},
          {"maxConcurrency", ep.max_concurrency ? json(*ep.max_concurrency) : json(nullptr)},
          {"alertEmails", ep.alerts.emails},
          {"alertFrequency", optional_string(ep.alerts.frequency)},
          {"label", optional_string(ep.label)},
          {"headers", render_headers(ep)},
          {"basicAuth", ep.basic_username.empty()
                            ? json(nullptr)
                            : json{{"username", ep.basic_username}, {"password", "********"}}},
          {"format", ep.form_format ? "form" : "json"},
          {"successPolicy", ep.success_only_200 ? "200" : "2xx"},
          {"retrySchedule", render_retry_schedule(ep)},
          {"requireTest", ep.require_test},
          {"signing", render_signing(ep)},
          {"filter", ep.filter_json.empty() ? json(nullptr) : json::parse(ep.filter_json)},
          {"fieldSelection", ep.field_selection.empty() ? json(nullptr) : json(ep.field_selection)},
          {"extraFields",
           ep.extra_fields_json.empty() ? json(nullptr) : json::parse(ep.extra_fields_json)},
          {"batch", ep.batch_max_events > 0 ? json{{"maxEvents", ep.batch_max_events},
                                                   {"maxWaitMs", ep.batch_max_wait_ms},
                                                   {"envelopeKey", optional_string(ep.batch_key)}}
                                            : json(nullptr)},
          {"lastTest", ep.last_test_at ? json{{"status", ep.last_test_status},
                                              {"at", format_rfc3339(ep.last_test_at)}}
                                       : json(nullptr)},
          {"version", ep.version},
          {"createdAt", format_rfc3339(ep.created_at)},
          {"updatedAt", format_rfc3339(ep.updated_at)}};
}

std::string status_text(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kSuccess:
      return "success";
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kFailed:
      return "fail";
    case DeliveryStatus::kSending:
      return "sending";
  }
  return "unknown";
}

json render(const Attempt& a) {
  return {{"id", a.id},
          {"msgId", a.msg_id},
          {"endpointId", a.endpoint_id},
          {"url", a.url},
          {"response", a.response},
          {"responseStatusCode", a.status_code},
          {"responseDurationMs", a.duration_ms},
          {"status", static_cast<int>(a.status)},
          {"statusText", status_text(a.status)},
          {"triggerType", static_cast<int>(a.trigger)},
          {"errorClass", a.error_class},
          {"timestamp", format_rfc3339(a.created_at)}};
}

std::string render(const Message& m, bool with_content) {
  // Hand-written: this runs for every accepted message, and the payload goes in verbatim.
  std::string out;
  out.reserve(m.payload.size() + 160);
  out += "{\"id\":";
  append_json_string(out, m.id);
  out += ",\"eventType\":";
  append_json_string(out, m.event_type);
  out += ",\"eventId\":";
  if (m.event_id.empty()) {
    out += "null";
  } else {
    append_json_string(out, m.event_id);
  }
  out += ",\"channels\":";
  if (m.channels.empty()) {
    out += "null";
  } else {
    for (size_t i = 0; i < m.channels.size(); ++i) {
      out.push_back(i ? ',' : '[');
      append_json_string(out, m.channels[i]);
    }
    out.push_back(']');
  }
  out += ",\"timestamp\":\"";
  out += format_rfc3339(m.created_at);
  out += "\",\"payload\":";
  out += with_content ? std::string_view(m.payload) : std::string_view("{}");
  out += '}';
  return out;
}

std::string render_list(const std::vector<std::string>& items, bool more,
                        const std::string& last_id) {
  std::string out = "{\"data\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += "],\"iterator\":";
  out += more ? json(last_id).dump() : "null";
  out += ",\"prevIterator\":null,\"done\":";
  out += more ? "false" : "true";
  out += '}';
  return out;
}

}  // namespace hookd::api

namespace hookd::api {

namespace {

json text_or_null(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

constexpr const char* kMasked = "********";

}  // namespace

json render(const InboundSource& src, int64_t server_max_body) {
  const SourceVerification& v = src.verification;
  json verification{{"type", verification_name(v.type)}};
  switch (v.type) {
    case VerificationType::kNone:
      break;
    case VerificationType::kHmac:
      verification["header"] = v.header;
      verification["algorithm"] = v.algorithm;
      verification["encoding"] = v.encoding;
      verification["prefix"] = text_or_null(v.prefix);
      verification["timestampHeader"] = text_or_null(v.timestamp_header);
      verification["toleranceSeconds"] = v.tolerance_s;
      verification["secret"] = kMasked;
      break;
    case VerificationType::kStandardWebhooks:
      verification["toleranceSeconds"] = v.tolerance_s;
      verification["secret"] = kMasked;
      break;
    case VerificationType::kBasic:
      verification["username"] = v.username;
      verification["password"] = kMasked;
      break;
    case VerificationType::kApiKey:
      verification["header"] = v.header;
      verification["key"] = kMasked;
      break;
  }
  std::string url = "/webhook/" + src.webhook_id;
  if (!src.client_id.empty()) url += "?client_id=" + src.client_id;
  return json{{"id", src.id},
              {"appId", src.app_id},
              {"uid", text_or_null(src.uid)},
              {"name", src.name},
              {"kind", kind_name(src.kind)},
              {"webhookId", src.webhook_id},
              {"clientId", text_or_null(src.client_id)},
              {"url", url},
              {"verification", verification},
              {"maxBodyBytes", src.max_body_bytes > 0 ? src.max_body_bytes : server_max_body},
              {"forward", src.forward_app_id.empty() ? json(nullptr)
                                                     : json{{"appId", src.forward_app_id},
                                                            {"eventType", src.forward_event_type}}},
              {"idHeader", text_or_null(src.id_header)},
              {"idField", text_or_null(src.id_field)},
              {"activities", src.activities},
              {"createdAt", format_rfc3339(src.created_at)},
              {"updatedAt", format_rfc3339(src.updated_at)}};
}

std::string render(const InboundEvent& e) {
  json head{{"id", e.id},
            {"sourceId", e.source_id},
            {"eventId", text_or_null(e.event_key)},
            {"customerId", text_or_null(e.customer_id)},
            {"name", text_or_null(e.name)},
            {"score", e.score ? json(*e.score) : json(nullptr)},
            {"ts", text_or_null(e.ts)},
            {"localtime", text_or_null(e.localtime)},
            {"occurredAt", format_rfc3339(e.occurred_at)},
            {"receivedAt", format_rfc3339(e.received_at)},
            {"revision", e.revision},
            {"contentType", e.content_type},
            {"messageId", text_or_null(e.message_id)}};
  std::string out = dump(head);
  out.pop_back();  // the closing brace
  out += ",\"payload\":";
  out += e.payload;
  out += '}';
  return out;
}

json render(const CustomerSummary& c) {
  json average = nullptr;
  if (c.average_score) average = std::round(*c.average_score * 100.0) / 100.0;
  return json{{"customerId", c.customer_id},
              {"eventCount", c.event_count},
              {"averageScore", average},
              {"latestScore", c.latest_score ? json(*c.latest_score) : json(nullptr)},
              {"lastEventAt", format_rfc3339(c.last_event_at)}};
}

json render(const InboundRejection& r) {
  return json{{"id", r.id},
              {"sourceId", r.source_id},
              {"status", r.status},
              {"reason", r.reason},
              {"receivedAt", format_rfc3339(r.received_at)}};
}

}  // namespace hookd::api
