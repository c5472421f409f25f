#include "api/endpoint_input.h"

#include <gtest/gtest.h>

#include <string>

#include "api/http.h"
#include "signing/asymmetric.h"

// Endpoint bodies read into the Endpoint model: PUT resets absent fields, PATCH keeps them,
// null resets the nullable ones, and every error names its field.
namespace hookd::api {
namespace {

using nlohmann::json;

const json kFull = json::parse(R"({
  "url": "https://example.com/hook",
  "description": "orders",
  "eventTypes": ["order.created"],
  "channels": ["eu"],
  "disabled": true,
  "uid": "orders-eu",
  "metadata": {"team": "a"},
  "throttleRate": 10,
  "maxConcurrency": 4,
  "alertEmails": ["ops@example.com"],
  "label": "Orders",
  "headers": {"X-Tenant": "t1"},
  "basicAuth": {"username": "u", "password": "p"},
  "format": "form",
  "successPolicy": "200",
  "retrySchedule": ["5s", "5m"],
  "filter": {"city": "Paris"},
  "fieldSelection": ["contact.email"],
  "extraFields": {"source": "hookd"},
  "signing": {"type": "rsa", "header": "X-Sig"},
  "batch": {"maxEvents": 50, "maxWaitMs": 200, "envelopeKey": "items"},
  "requireTest": true
})");

// A context with the key new_signing_key_for prepares, as the handlers make it.
EndpointInputContext context_for(const json& body) {
  EndpointInputContext ctx;
  ctx.new_signing_key_pem = new_signing_key_for(body);
  return ctx;
}

Endpoint applied(const json& body, bool full, Endpoint ep = {}) {
  apply_endpoint_input(body, full, context_for(body), ep);
  return ep;
}

// The detail of the ApiError that applying `body` throws; empty when it is accepted.
std::string error_of(const json& body, bool full = false, Endpoint ep = {}) {
  try {
    apply_endpoint_input(body, full, context_for(body), ep);
  } catch (const ApiError& e) {
    return e.what();
  }
  return "";
}

TEST(EndpointInput, AFullBodyFillsEveryField) {
  const Endpoint ep = applied(kFull, true);
  EXPECT_EQ(ep.url, "https://example.com/hook");
  EXPECT_EQ(ep.description, "orders");
  EXPECT_EQ(ep.event_types, std::vector<std::string>{"order.created"});
  EXPECT_EQ(ep.channels, std::vector<std::string>{"eu"});
  EXPECT_TRUE(ep.disabled);
  EXPECT_EQ(ep.uid, "orders-eu");
  EXPECT_EQ(ep.metadata_json, R"({"team":"a"})");
  EXPECT_EQ(ep.throttle_rate, 10);
  EXPECT_EQ(ep.max_concurrency, 4);
  EXPECT_EQ(ep.alerts.emails, std::vector<std::string>{"ops@example.com"});
  EXPECT_EQ(ep.label, "Orders");
  ASSERT_EQ(ep.headers.size(), 1u);
  EXPECT_EQ(ep.headers[0], (std::pair<std::string, std::string>{"X-Tenant", "t1"}));
  EXPECT_EQ(ep.basic_username, "u");
  EXPECT_EQ(ep.basic_password, "p");
  EXPECT_TRUE(ep.form_format);
  EXPECT_TRUE(ep.success_only_200);
  EXPECT_EQ(ep.retry_delays_ms, (std::vector<int64_t>{5'000, 300'000}));
  EXPECT_EQ(ep.filter_json, R"({"city":"Paris"})");
  EXPECT_EQ(ep.field_selection, std::vector<std::string>{"contact.email"});
  EXPECT_EQ(ep.extra_fields_json, R"({"source":"hookd"})");
  EXPECT_EQ(ep.signing_type, "rsa");
  EXPECT_EQ(ep.signature_header, "X-Sig");
  EXPECT_NE(signing::SigningKey::from_pem(signing::KeyType::kRsa, ep.signing_key_pem), nullptr);
  EXPECT_EQ(ep.batch_max_events, 50);
  EXPECT_EQ(ep.batch_max_wait_ms, 200);
  EXPECT_EQ(ep.batch_key, "items");
  EXPECT_TRUE(ep.require_test);
}

TEST(EndpointInput, PutResetsAbsentFields) {
  const Endpoint before = applied(kFull, true);
  const Endpoint ep = applied(json{{"url", "https://example.com/other"}}, true, before);
  EXPECT_EQ(ep.url, "https://example.com/other");
  EXPECT_TRUE(ep.description.empty());
  EXPECT_TRUE(ep.event_types.empty());
  EXPECT_TRUE(ep.channels.empty());
  EXPECT_FALSE(ep.disabled);
  EXPECT_TRUE(ep.uid.empty());
  EXPECT_EQ(ep.metadata_json, "{}");
  EXPECT_FALSE(ep.throttle_rate);
  EXPECT_FALSE(ep.max_concurrency);
  EXPECT_TRUE(ep.label.empty());
  EXPECT_TRUE(ep.headers.empty());
  EXPECT_TRUE(ep.basic_username.empty());
  EXPECT_TRUE(ep.basic_password.empty());
  EXPECT_FALSE(ep.form_format);
  EXPECT_FALSE(ep.success_only_200);
  EXPECT_TRUE(ep.retry_delays_ms.empty());
  EXPECT_TRUE(ep.filter_json.empty());
  EXPECT_TRUE(ep.field_selection.empty());
  EXPECT_TRUE(ep.extra_fields_json.empty());
  EXPECT_EQ(ep.signing_type, "hmac");
  EXPECT_TRUE(ep.signature_header.empty());
  EXPECT_TRUE(ep.signing_key_pem.empty());
  EXPECT_EQ(ep.batch_max_events, 0);
  EXPECT_TRUE(ep.batch_key.empty());
  EXPECT_FALSE(ep.require_test);
  EXPECT_EQ(error_of(json::object(), true), "url: required");
  EXPECT_EQ(error_of(json{{"url", nullptr}}, true), "url: required");
}

TEST(EndpointInput, KeysAreMadeBeforeTheLockOnlyForAnAsymmetricScheme) {
  EXPECT_EQ(new_signing_key_for(json::object()), "");
  EXPECT_EQ(new_signing_key_for(json{{"signing", {{"type", "hmac"}}}}), "");
  EXPECT_EQ(new_signing_key_for(json{{"signing", {{"type", "dsa"}}}}), "");
  EXPECT_EQ(new_signing_key_for(json{{"signing", "rsa"}}), "");
  const std::string pem = new_signing_key_for(json{{"signing", {{"type", "ed25519"}}}});
  EXPECT_NE(signing::SigningKey::from_pem(signing::KeyType::kEd25519, pem), nullptr);
  // A body naming the scheme the endpoint already has keeps its key; the prepared one is unused.
  const Endpoint before = applied(kFull, true);
  const json same = {{"signing", {{"type", "rsa"}, {"header", "X-Sig"}}}};
  EXPECT_EQ(applied(same, false, before).signing_key_pem, before.signing_key_pem);
  // A change of scheme takes the prepared key.
  const json change = {{"signing", {{"type", "ed25519"}}}};
  EndpointInputContext ctx;
  ctx.new_signing_key_pem = pem;
  Endpoint ep = before;
  apply_endpoint_input(change, false, ctx, ep);
  EXPECT_EQ(ep.signing_key_pem, pem);
  EXPECT_EQ(ep.signing_type, "ed25519");
}

TEST(EndpointInput, PatchKeepsAbsentFields) {
  const Endpoint before = applied(kFull, true);
  const Endpoint ep = applied(json{{"description", "changed"}}, false, before);
  EXPECT_EQ(ep.description, "changed");
  EXPECT_EQ(ep.url, before.url);
  EXPECT_EQ(ep.uid, before.uid);
  EXPECT_EQ(ep.label, before.label);
  EXPECT_EQ(ep.headers, before.headers);
  EXPECT_EQ(ep.basic_username, "u");
  EXPECT_TRUE(ep.form_format);
  EXPECT_EQ(ep.retry_delays_ms, before.retry_delays_ms);
  EXPECT_EQ(ep.filter_json, before.filter_json);
  EXPECT_EQ(ep.signing_key_pem, before.signing_key_pem);  // the same scheme keeps its key
  EXPECT_EQ(ep.batch_max_events, 50);
  EXPECT_EQ(ep.max_concurrency, 4);
  EXPECT_TRUE(ep.require_test);
}

TEST(EndpointInput, NullResetsTheNullableFieldsAndIsAbsentForTheOthers) {
  const Endpoint before = applied(kFull, true);
  json body = json::object();
  for (const char* field :
       {"label", "basicAuth", "headers", "retrySchedule", "filter", "fieldSelection", "extraFields",
        "signing", "batch", "maxConcurrency", "format", "successPolicy", "requireTest",
        "description", "uid", "channels", "disabled", "url"}) {
    body[field] = nullptr;
  }
  const Endpoint ep = applied(body, false, before);
  EXPECT_TRUE(ep.label.empty());
  EXPECT_TRUE(ep.basic_username.empty());
  EXPECT_TRUE(ep.headers.empty());
  EXPECT_TRUE(ep.retry_delays_ms.empty());
  EXPECT_TRUE(ep.filter_json.empty());
  EXPECT_TRUE(ep.field_selection.empty());
  EXPECT_TRUE(ep.extra_fields_json.empty());
  EXPECT_EQ(ep.signing_type, "hmac");
  EXPECT_EQ(ep.batch_max_events, 0);
  EXPECT_FALSE(ep.max_concurrency);
  // null is no value for these: PATCH keeps them.
  EXPECT_TRUE(ep.form_format);
  EXPECT_TRUE(ep.success_only_200);
  EXPECT_TRUE(ep.require_test);
  EXPECT_EQ(ep.description, "orders");
  EXPECT_EQ(ep.uid, "orders-eu");
  EXPECT_EQ(ep.channels, before.channels);
  EXPECT_TRUE(ep.disabled);
  EXPECT_EQ(ep.url, before.url);
}

TEST(EndpointInput, ErrorsNameTheirField) {
  EXPECT_EQ(error_of(json{{"batch", {{"maxEvents", 0}}}}),
            "batch.maxEvents: must be an integer from 1 to 1000");
  EXPECT_EQ(error_of(json{{"batch", json::object()}}), "batch.maxEvents: required");
  EXPECT_EQ(error_of(json{{"batch", {{"maxEvents", 2}, {"size", 1}}}}),
            "batch.size: unknown field (maxEvents, maxWaitMs, envelopeKey)");
  EXPECT_EQ(error_of(json{{"batch", 3}}),
            "batch: must be {maxEvents, maxWaitMs, envelopeKey} or null");
  EXPECT_EQ(error_of(json{{"retrySchedule", {"5x"}}}),
            "retrySchedule: must be a list of 1 to 20 delays like \"5m\", each at most 7 days");
  EXPECT_EQ(error_of(json{{"format", "xml"}}), "format: must be json or form");
  EXPECT_EQ(error_of(json{{"successPolicy", "3xx"}}), "successPolicy: must be 2xx or 200");
  EXPECT_EQ(error_of(json{{"headers", {{"Host", "x"}}}}), "headers: Host: reserved; hookd sets it");
  EXPECT_EQ(error_of(json{{"headers", {{"X-A", 1}}}}), "headers: X-A: must be a string");
  EXPECT_EQ(error_of(json{{"headers", "x"}}), "headers: must be an object of name: value");
  EXPECT_EQ(error_of(json{{"basicAuth", {{"username", "u"}}}}), "basicAuth.password: required");
  EXPECT_EQ(error_of(json{{"basicAuth", {{"username", "u"}, {"password", "********"}}}}),
            "basicAuth.password: required");
  EXPECT_EQ(error_of(json{{"basicAuth", {{"username", "a:b"}, {"password", "p"}}}}),
            "basicAuth.username: must not contain ':' or line breaks");
  EXPECT_EQ(error_of(json{{"basicAuth", {{"username", "u"}, {"password", "p"}}},
                          {"headers", {{"Authorization", "x"}}}}),
            "headers: Authorization: reserved while basicAuth is set");
  EXPECT_EQ(error_of(json{{"label", std::string(257, 'a')}}), "label: longer than 256 characters");
  EXPECT_EQ(error_of(json{{"fieldSelection", {"a..b"}}}),
            "fieldSelection: \"a..b\" is not a path like \"contact.email\"");
  EXPECT_EQ(error_of(json{{"signing", {{"type", "dsa"}}}}),
            "signing.type: must be hmac, ed25519 or rsa");
  EXPECT_EQ(error_of(json{{"maxConcurrency", 0}}), "maxConcurrency: must be between 1 and 1000");
  EXPECT_EQ(error_of(json{{"description", 1}}), "description: must be a string");
}

TEST(EndpointInput, AMaskedPasswordKeepsTheStoredOne) {
  Endpoint before = applied(kFull, true);
  const Endpoint ep =
      applied(json{{"basicAuth", {{"username", "v"}, {"password", "********"}}}}, false, before);
  EXPECT_EQ(ep.basic_username, "v");
  EXPECT_EQ(ep.basic_password, "p");
}

TEST(EndpointInput, TheCatalogChecksRunThroughTheContext) {
  EndpointInputContext ctx;
  std::string checked;
  ctx.check_event_types = [&](const std::vector<std::string>& names, const char* field) {
    checked = std::string(field) + ":" + names.at(0);
  };
  ctx.check_uid_free = [](const std::string& uid) {
    throw ApiError(409, "conflict", "uid: taken " + uid);
  };
  Endpoint ep;
  apply_endpoint_input(json{{"filterTypes", {"a.b"}}}, false, ctx, ep);
  EXPECT_EQ(checked, "filterTypes:a.b");
  EXPECT_EQ(ep.event_types, std::vector<std::string>{"a.b"});
  try {
    apply_endpoint_input(json{{"uid", "x1"}}, false, ctx, ep);
    ADD_FAILURE() << "no conflict";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_STREQ(e.what(), "uid: taken x1");
  }
}

TEST(EndpointInput, UnknownFieldsAndALaterSecretAreRefused) {
  auto refused = [](const json& body, bool create) -> std::string {
    try {
      reject_unknown_endpoint_fields(body, create);
    } catch (const ApiError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(refused(kFull, true), "");
  EXPECT_EQ(refused(json{{"urll", "x"}}, true).rfind("urll: unknown field (expected one of: ", 0),
            0u);
  EXPECT_EQ(refused(json{{"secret", "x"}}, false),
            "secret: set at creation; rotate it with POST .../secret/rotate");
  EXPECT_EQ(refused(json{{"secret", "x"}}, true), "");
}

}  // namespace
}  // namespace hookd::api
