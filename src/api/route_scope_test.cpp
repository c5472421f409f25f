// Walks every route of the router with each kind of token against a real Api on a real SQLite
// store, and checks who is let through. A route added without a row in kExpectedScopes fails
// RouteScopes.EveryRouteHasAnExpectedScope.
#include <gtest/gtest.h>

#include <future>
#include <map>

#include "api/api.h"
#include "common/ids.h"
#include "signing/signature.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd::api {
namespace {

constexpr const char* kAdmin = "admin-token-0123456789";

// Every route, "METHOD /path", with the scope it must have: written out here, apart from the
// router, so that a change of either shows.
const std::map<std::string, Scope> kExpectedScopes = {
    {"POST /api/v1/auth/token", Scope::kGlobal},
    {"GET /api/v1/auth/token", Scope::kGlobal},
    {"GET /api/v1/auth/token/{token_id}", Scope::kGlobal},
    {"DELETE /api/v1/auth/token/{token_id}", Scope::kGlobal},
    {"POST /api/v1/auth/logout", Scope::kCaller},
    {"POST /api/v1/auth/app-portal-access/{app_id}", Scope::kGlobal},
    {"POST /api/v1/auth/app/{app_id}/expire-all", Scope::kGlobal},
    {"GET /api/v1/audit", Scope::kCaller},
    {"GET /api/v1/app", Scope::kGlobal},
    {"POST /api/v1/app", Scope::kGlobal},
    {"GET /api/v1/app/{app_id}", Scope::kAppRead},
    {"PUT /api/v1/app/{app_id}", Scope::kAppRead},
    {"PATCH /api/v1/app/{app_id}", Scope::kAppRead},
    {"DELETE /api/v1/app/{app_id}", Scope::kAppRead},
    {"GET /api/v1/event-type", Scope::kAnyRead},
    {"POST /api/v1/event-type", Scope::kAnyRead},
    {"GET /api/v1/event-type/catalogue", Scope::kAnyRead},
    {"POST /api/v1/event-type/catalogue/{name}", Scope::kAnyRead},
    {"GET /api/v1/event-type/{event_type_name}", Scope::kAnyRead},
    {"PUT /api/v1/event-type/{event_type_name}", Scope::kAnyRead},
    {"PATCH /api/v1/event-type/{event_type_name}", Scope::kAnyRead},
    {"DELETE /api/v1/event-type/{event_type_name}", Scope::kAnyRead},
    {"GET /api/v1/app/{app_id}/endpoint", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}", Scope::kApp},
    {"PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}", Scope::kApp},
    {"PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}", Scope::kApp},
    {"DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/health", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/test", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/public-key", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/verify-signature", Scope::kApp},
    {"GET /api/v1/app/{app_id}/attempt/live", Scope::kApp},
    {"PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", Scope::kApp},
    {"PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats", Scope::kApp},
    {"GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg", Scope::kApp},
    {"POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example", Scope::kApp},
    {"DELETE /api/v1/app/{app_id}/msg/{msg_id}/content", Scope::kApp},
    {"DELETE /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content", Scope::kApp},
    {"POST /api/v1/app/{app_id}/retry", Scope::kApp},
    {"POST /api/v1/app/{app_id}/msg", Scope::kApp},
    {"GET /api/v1/app/{app_id}/msg", Scope::kApp},
    {"GET /api/v1/app/{app_id}/msg/{msg_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint", Scope::kApp},
    {"POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend", Scope::kApp},
    {"GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/attempt/msg/{msg_id}", Scope::kApp},
    {"POST /api/v1/app/{app_id}/contact", Scope::kApp},
    {"POST /api/v1/app/{app_id}/contact/batch", Scope::kApp},
    {"GET /api/v1/app/{app_id}/contact/{contact_key}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/contact/{contact_key}/activity", Scope::kApp},
    {"POST /api/v1/app/{app_id}/activity", Scope::kApp},
    {"POST /api/v1/app/{app_id}/activity/batch", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey", Scope::kApp},
    {"POST /api/v1/app/{app_id}/journey", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey/{journey_id}", Scope::kApp},
    {"PUT /api/v1/app/{app_id}/journey/{journey_id}", Scope::kApp},
    {"DELETE /api/v1/app/{app_id}/journey/{journey_id}", Scope::kApp},
    {"POST /api/v1/app/{app_id}/journey/{journey_id}/pause", Scope::kApp},
    {"POST /api/v1/app/{app_id}/journey/{journey_id}/resume", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey/{journey_id}/version", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey/{journey_id}/stats", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey/{journey_id}/contact/{contact_key}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/journey/{journey_id}/waiting", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source", Scope::kApp},
    {"POST /api/v1/app/{app_id}/source", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}", Scope::kApp},
    {"PUT /api/v1/app/{app_id}/source/{source_id}", Scope::kApp},
    {"PATCH /api/v1/app/{app_id}/source/{source_id}", Scope::kApp},
    {"DELETE /api/v1/app/{app_id}/source/{source_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}/event", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}/event/{event_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}/customer", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}/customer/{customer_id}", Scope::kApp},
    {"GET /api/v1/app/{app_id}/source/{source_id}/rejection", Scope::kApp},
};

std::string route_key(const Route& r) { return std::string(r.method) + " " + r.path_template(); }

TEST(RouteScopes, EveryRouteHasAnExpectedScope) {
  std::map<std::string, Scope> routed;
  for (const Route& r : route_table()) routed[route_key(r)] = r.scope;
  for (const auto& [key, scope] : routed) {
    auto expected = kExpectedScopes.find(key);
    ASSERT_NE(expected, kExpectedScopes.end()) << key << ": a route without an expected scope";
    EXPECT_EQ(scope_name(scope), scope_name(expected->second)) << key;
  }
  for (const auto& [key, scope] : kExpectedScopes) {
    EXPECT_TRUE(routed.count(key)) << key << ": expected, but not routed";
  }
}

// A real Api on a fresh SQLite store, with applications A and B.
class RouteWalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    store_ = open_sqlite_store(options);
    writer_ = std::make_unique<CatalogWriter>(*store_, catalog_);
    for (const char* id : {"app_a", "app_b"}) {
      Application app;
      app.id = id;
      app.name = id;
      ASSERT_EQ(writer_->put(app).status, WriteStatus::kOk);
    }
    ApiOptions api_options;
    api_options.admin_token = kAdmin;
    api_ = std::make_unique<Api>(api_options, catalog_, *store_, *writer_, nullptr, metrics_);
  }
  void TearDown() override {
    api_.reset();
    store_->close();
  }

  // A new token's secret: each request gets its own, as logout and expire-all end the one
  // they are called with.
  std::string token(const std::string& app_id, bool read_only) {
    const std::string secret = new_token_secret(!app_id.empty());
    ApiToken t;
    t.id = new_id("tok_");
    t.app_id = app_id;
    t.read_only = read_only;
    t.secret_hash = signing::sha256_hex(secret);
    EXPECT_EQ(writer_->put(t).status, WriteStatus::kOk);
    return secret;
  }

  HttpResponse call(const Route& route, const std::string& app, const std::string& secret) {
    HttpRequest req;
    req.method = route.method;
    req.path = "/api/v1";
    bool first = true;
    for (const auto& segment : route.pattern) {
      const bool wildcard = segment == "*";
      req.path += "/" + (!wildcard ? segment : first ? app : std::string("x"));
      if (wildcard) first = false;
    }
    req.authorization = "Bearer " + secret;
    std::promise<HttpResponse> answered;
    api_->handle(std::move(req), [&answered](HttpResponse r) { answered.set_value(std::move(r)); });
    auto future = answered.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }

  ScratchDir dir_{"hookd-route-walk"};
  std::unique_ptr<Store> store_;
  Catalog catalog_;
  std::unique_ptr<CatalogWriter> writer_;
  Metrics metrics_;
  std::unique_ptr<Api> api_;
};

bool is_read(const Route& r) { return std::string(r.method) == "GET"; }

// Whether an application token of the application in the path may call the route.
bool own_app_token_passes(const Route& r) {
  switch (r.scope) {
    case Scope::kApp:
    case Scope::kCaller:
      return true;
    case Scope::kAppRead:
    case Scope::kAnyRead:
      return is_read(r);
    case Scope::kGlobal:
      return false;
  }
  return false;
}

void expect_answer(const HttpResponse& r, bool passes, const std::string& who, const Route& route) {
  const std::string what =
      who + ": " + route_key(route) + " -> " + std::to_string(r.status) + " " + r.body;
  EXPECT_NE(r.status, 401) << what;
  if (passes) {
    EXPECT_NE(r.status, 403) << what;
  } else {
    EXPECT_EQ(r.status, 403) << what;
    EXPECT_NE(r.body.find(R"("code":"forbidden")"), std::string::npos) << what;
  }
}

TEST_F(RouteWalkTest, EachTokenReachesWhatItsScopeAllowsAndNothingElse) {
  const auto routes = route_table();
  for (const Route& route : routes) {
    const auto& p = route.pattern;
    const bool on_app = route.names_app() || (p.size() > 2 && p[0] == "auth" &&
                                              (p[1] == "app-portal-access" || p[1] == "app"));
    const std::string a = on_app ? "app_a" : "x";
    expect_answer(call(route, a, token("app_a", false)), own_app_token_passes(route), "A's token",
                  route);
    if (route.names_app()) {
      expect_answer(call(route, "app_b", token("app_a", false)), false, "A's token on B", route);
    }
    const bool read_only_passes = is_read(route) || route.scope == Scope::kCaller;
    expect_answer(call(route, a, token("", true)), read_only_passes, "a read-only token", route);
    expect_answer(call(route, a, token("app_a", true)),
                  read_only_passes && own_app_token_passes(route), "A's read-only token", route);
    expect_answer(call(route, "app_b", kAdmin), true, "the admin token", route);
    expect_answer(call(route, "app_b", token("", false)), true, "a global token", route);
  }
}

}  // namespace
}  // namespace hookd::api
