#include "store/documents.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hookd::documents {

using nlohmann::json;

namespace {

json optional_int(const std::optional<int64_t>& value) {
  return value ? json(*value) : json(nullptr);
}

std::optional<int64_t> read_optional_int(const json& doc, const char* key) {
  if (!doc.contains(key) || doc[key].is_null()) return std::nullopt;
  return doc[key].get<int64_t>();
}

json alerts_doc(const AlertSettings& a) {
  return json{{"emails", a.emails}, {"frequency", a.frequency}};
}

AlertSettings alerts_from(const json& doc) {
  AlertSettings a;
  if (!doc.contains("alerts") || !doc["alerts"].is_object()) return a;
  a.emails = doc["alerts"].value("emails", std::vector<std::string>{});
  a.frequency = doc["alerts"].value("frequency", "");
  return a;
}

json headers_doc(const std::vector<std::pair<std::string, std::string>>& headers) {
  json out = json::array();
  for (const auto& [name, value] : headers) out.push_back(json::array({name, value}));
  return out;
}

// Opens a stored secret of the object `what`; a failure names the object.
std::string open_secret(const SecretBox& box, const std::string& what, const std::string& value) {
  try {
    return box.open(value);
  } catch (const SecretBoxError& e) {
    throw SecretBoxError("stored " + what + ": " + e.what());
  }
}

json parse(const std::string& doc) {
  auto parsed = json::parse(doc, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw std::runtime_error("stored document is not a JSON object");
  }
  return parsed;
}

}  // namespace

std::string to_doc(const Application& app) {
  return json{{"id", app.id},
              {"uid", app.uid},
              {"name", app.name},
              {"metadata", json::parse(app.metadata_json)},
              {"throttleRate", optional_int(app.throttle_rate)},
              {"alerts", alerts_doc(app.alerts)},
              {"createdAt", app.created_at},
              {"updatedAt", app.updated_at}}
      .dump();
}

Application application_from_doc(const std::string& text) {
  const json doc = parse(text);
  Application app;
  app.id = doc.at("id").get<std::string>();
  app.uid = doc.value("uid", "");
  app.name = doc.value("name", "");
  app.metadata_json = doc.value("metadata", json::object()).dump();
  app.throttle_rate = read_optional_int(doc, "throttleRate");
  app.alerts = alerts_from(doc);
  app.created_at = doc.value("createdAt", int64_t{0});
  app.updated_at = doc.value("updatedAt", int64_t{0});
  return app;
}

std::string to_doc(const EventType& et) {
  return json{{"name", et.name},
              {"description", et.description},
              {"schemas", et.schemas_json.empty() ? json(nullptr) : json::parse(et.schemas_json)},
              {"example", et.example_json.empty() ? json(nullptr) : json::parse(et.example_json)},
              {"featureFlag", et.feature_flag},
              {"deprecated", et.deprecated},
              {"archived", et.archived},
              {"createdAt", et.created_at},
              {"updatedAt", et.updated_at}}
      .dump();
}

EventType event_type_from_doc(const std::string& text) {
  const json doc = parse(text);
  EventType et;
  et.name = doc.at("name").get<std::string>();
  et.description = doc.value("description", "");
  if (doc.contains("schemas") && !doc["schemas"].is_null()) et.schemas_json = doc["schemas"].dump();
  if (doc.contains("example") && !doc["example"].is_null()) et.example_json = doc["example"].dump();
  et.feature_flag = doc.value("featureFlag", "");
  et.deprecated = doc.value("deprecated", false);
  et.archived = doc.value("archived", false);
  et.created_at = doc.value("createdAt", int64_t{0});
  et.updated_at = doc.value("updatedAt", int64_t{0});
  return et;
}

std::string to_doc(const Endpoint& ep, const SecretBox& box) {
  json secrets = json::array();
  for (const auto& s : ep.secrets) {
    secrets.push_back({{"key", box.seal(s.encoded)}, {"expiresAt", s.expires_at}});
  }
  const std::string sealed_password = box.seal(ep.basic_password);
  return json{{"id", ep.id},
              {"appId", ep.app_id},
              {"uid", ep.uid},
              {"url", ep.url},
              {"description", ep.description},
              {"eventTypes", ep.event_types},
              {"channels", ep.channels},
              {"disabled", ep.disabled},
              {"disabledReason", ep.disabled_reason},
              {"disabledAt", ep.disabled_at},
              {"metadata", json::parse(ep.metadata_json)},
              {"throttleRate", optional_int(ep.throttle_rate)},
              {"maxConcurrency", ep.max_concurrency ? json(*ep.max_concurrency) : json(nullptr)},
              {"alerts", alerts_doc(ep.alerts)},
              {"label", ep.label},
              {"headers", headers_doc(ep.headers)},
              {"basicAuth", {{"username", ep.basic_username}, {"password", sealed_password}}},
              {"format", ep.form_format ? "form" : "json"},
              {"successPolicy", ep.success_only_200 ? "200" : "2xx"},
              {"retryDelaysMs", ep.retry_delays_ms},
              {"requireTest", ep.require_test},
              {"signing",
               {{"type", ep.signing_type},
                {"header", ep.signature_header},
                {"privateKey", box.seal(ep.signing_key_pem)}}},
              {"fieldSelection", ep.field_selection},
              {"filter", ep.filter_json.empty() ? json(nullptr) : json::parse(ep.filter_json)},
              {"extraFields",
               ep.extra_fields_json.empty() ? json(nullptr) : json::parse(ep.extra_fields_json)},
              {"batch", ep.batch_max_events > 0 ? json{{"maxEvents", ep.batch_max_events},
                                                       {"maxWaitMs", ep.batch_max_wait_ms},
                                                       {"envelopeKey", ep.batch_key}}
                                                : json(nullptr)},
              {"lastTestStatus", ep.last_test_status},
              {"lastTestAt", ep.last_test_at},
              {"version", ep.version},
              {"secrets", secrets},
              {"createdAt", ep.created_at},
              {"updatedAt", ep.updated_at}}
      .dump();
}

Endpoint endpoint_from_doc(const std::string& text, const SecretBox& box) {
  const json doc = parse(text);
  Endpoint ep;
  ep.id = doc.at("id").get<std::string>();
  const std::string what = "endpoint " + ep.id;
  ep.app_id = doc.at("appId").get<std::string>();
  ep.uid = doc.value("uid", "");
  ep.url = doc.value("url", "");
  ep.description = doc.value("description", "");
  ep.event_types = doc.value("eventTypes", std::vector<std::string>{});
  ep.channels = doc.value("channels", std::vector<std::string>{});
  ep.disabled = doc.value("disabled", false);
  ep.metadata_json = doc.value("metadata", json::object()).dump();
  ep.throttle_rate = read_optional_int(doc, "throttleRate");
  ep.disabled_reason = doc.value("disabledReason", "");
  ep.disabled_at = doc.value("disabledAt", int64_t{0});
  if (auto mc = read_optional_int(doc, "maxConcurrency"))
    ep.max_concurrency = static_cast<int>(*mc);
  ep.alerts = alerts_from(doc);
  ep.label = doc.value("label", "");
  if (doc.contains("headers") && doc["headers"].is_array()) {
    for (const auto& h : doc["headers"]) {
      ep.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    }
  }
  if (doc.contains("basicAuth") && doc["basicAuth"].is_object()) {
    ep.basic_username = doc["basicAuth"].value("username", "");
    ep.basic_password = open_secret(box, what, doc["basicAuth"].value("password", ""));
  }
  ep.form_format = doc.value("format", "json") == "form";
  ep.success_only_200 = doc.value("successPolicy", "2xx") == "200";
  ep.retry_delays_ms = doc.value("retryDelaysMs", std::vector<int64_t>{});
  ep.require_test = doc.value("requireTest", false);
  if (doc.contains("batch") && doc["batch"].is_object()) {
    ep.batch_max_events = doc["batch"].value("maxEvents", 0);
    ep.batch_max_wait_ms = doc["batch"].value("maxWaitMs", int64_t{0});
    ep.batch_key = doc["batch"].value("envelopeKey", "");
  }
  if (doc.contains("signing") && doc["signing"].is_object()) {
    const json& sg = doc["signing"];
    ep.signing_type = sg.value("type", "hmac");
    ep.signature_header = sg.value("header", "");
    ep.signing_key_pem = open_secret(box, what, sg.value("privateKey", ""));
  }
  ep.field_selection = doc.value("fieldSelection", std::vector<std::string>{});
  if (doc.contains("filter") && doc["filter"].is_object()) {
    ep.filter_json = doc["filter"].dump();
  }
  if (doc.contains("extraFields") && doc["extraFields"].is_object()) {
    ep.extra_fields_json = doc["extraFields"].dump();
  }
  ep.last_test_status = doc.value("lastTestStatus", 0);
  ep.last_test_at = doc.value("lastTestAt", int64_t{0});
  ep.version = doc.value("version", int64_t{1});
  for (const auto& s : doc.value("secrets", json::array())) {
    EndpointSecret secret;
    secret.encoded = open_secret(box, what, s.at("key").get<std::string>());
    secret.expires_at = s.value("expiresAt", int64_t{0});
    ep.secrets.push_back(std::move(secret));
  }
  ep.created_at = doc.value("createdAt", int64_t{0});
  ep.updated_at = doc.value("updatedAt", int64_t{0});
  return ep;
}

std::string to_doc(const InboundSource& src, const SecretBox& box) {
  const SourceVerification& v = src.verification;
  return json{{"id", src.id},
              {"appId", src.app_id},
              {"uid", src.uid},
              {"name", src.name},
              {"kind", kind_name(src.kind)},
              {"webhookId", src.webhook_id},
              {"clientId", src.client_id},
              {"verification",
               {{"type", verification_name(v.type)},
                {"header", v.header},
                {"algorithm", v.algorithm},
                {"encoding", v.encoding},
                {"prefix", v.prefix},
                {"timestampHeader", v.timestamp_header},
                {"toleranceSeconds", v.tolerance_s},
                {"secret", box.seal(v.secret)},
                {"username", v.username},
                {"password", box.seal(v.password)},
                {"key", box.seal(v.key)}}},
              {"maxBodyBytes", src.max_body_bytes},
              {"forwardAppId", src.forward_app_id},
              {"forwardEventType", src.forward_event_type},
              {"idHeader", src.id_header},
              {"idField", src.id_field},
              {"activities", src.activities},
              {"createdAt", src.created_at},
              {"updatedAt", src.updated_at}}
      .dump();
}

InboundSource source_from_doc(const std::string& text, const SecretBox& box) {
  const json doc = parse(text);
  InboundSource src;
  src.id = doc.at("id").get<std::string>();
  const std::string what = "source " + src.id;
  src.app_id = doc.at("appId").get<std::string>();
  src.uid = doc.value("uid", "");
  src.name = doc.value("name", "");
  src.kind = kind_from_name(doc.value("kind", "skalin")).value_or(SourceKind::kSkalin);
  src.webhook_id = doc.at("webhookId").get<std::string>();
  src.client_id = doc.value("clientId", "");
  const json v = doc.value("verification", json::object());
  SourceVerification& out = src.verification;
  out.type = verification_from_name(v.value("type", "none")).value_or(VerificationType::kNone);
  out.header = v.value("header", "");
  out.algorithm = v.value("algorithm", "sha256");
  out.encoding = v.value("encoding", "hex");
  out.prefix = v.value("prefix", "");
  out.timestamp_header = v.value("timestampHeader", "");
  out.tolerance_s = v.value("toleranceSeconds", int64_t{300});
  out.secret = open_secret(box, what, v.value("secret", ""));
  out.username = v.value("username", "");
  out.password = open_secret(box, what, v.value("password", ""));
  out.key = open_secret(box, what, v.value("key", ""));
  src.max_body_bytes = doc.value("maxBodyBytes", int64_t{0});
  src.forward_app_id = doc.value("forwardAppId", "");
  src.forward_event_type = doc.value("forwardEventType", "");
  src.id_header = doc.value("idHeader", "");
  src.id_field = doc.value("idField", "");
  src.activities = doc.value("activities", false);
  src.created_at = doc.value("createdAt", int64_t{0});
  src.updated_at = doc.value("updatedAt", int64_t{0});
  return src;
}

std::string to_doc(const ApiToken& t) {
  return json{{"id", t.id},
              {"name", t.name},
              {"appId", t.app_id},
              {"readOnly", t.read_only},
              {"sessionId", t.session_id},
              {"secretHash", t.secret_hash},
              {"createdAt", t.created_at},
              {"expiresAt", t.expires_at},
              {"revokedAt", t.revoked_at}}
      .dump();
}

ApiToken token_from_doc(const std::string& text) {
  const json doc = parse(text);
  ApiToken t;
  t.id = doc.at("id").get<std::string>();
  t.name = doc.value("name", "");
  t.app_id = doc.value("appId", "");
  t.read_only = doc.value("readOnly", false);
  t.session_id = doc.value("sessionId", "");
  t.secret_hash = doc.at("secretHash").get<std::string>();
  t.created_at = doc.value("createdAt", int64_t{0});
  t.expires_at = doc.value("expiresAt", int64_t{0});
  t.revoked_at = doc.value("revokedAt", int64_t{0});
  return t;
}

std::string strings_to_json(const std::vector<std::string>& values) { return json(values).dump(); }

std::vector<std::string> strings_from_json(const std::string& text) {
  if (text.empty()) return {};
  auto parsed = json::parse(text, nullptr, false);
  if (!parsed.is_array()) return {};
  return parsed.get<std::vector<std::string>>();
}

std::string to_doc(const Journey& journey) {
  return json{{"id", journey.id},
              {"appId", journey.app_id},
              {"uid", journey.uid},
              {"name", journey.name},
              {"status", journey.status == JourneyStatus::kPaused ? "paused" : "active"},
              {"version", journey.version},
              {"definition", journey.definition},
              {"createdAt", journey.created_at},
              {"updatedAt", journey.updated_at}}
      .dump();
}

Journey journey_from_doc(const std::string& text) {
  const json doc = parse(text);
  Journey journey;
  journey.id = doc.at("id").get<std::string>();
  journey.app_id = doc.at("appId").get<std::string>();
  journey.uid = doc.value("uid", "");
  journey.name = doc.value("name", "");
  journey.status =
      doc.value("status", "active") == "paused" ? JourneyStatus::kPaused : JourneyStatus::kActive;
  journey.version = doc.value("version", 1);
  journey.definition = doc.value("definition", "");
  journey.created_at = doc.value("createdAt", int64_t{0});
  journey.updated_at = doc.value("updatedAt", int64_t{0});
  return journey;
}

}  // namespace hookd::documents
