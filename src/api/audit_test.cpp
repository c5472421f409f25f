#include "api/audit.h"

#include <gtest/gtest.h>

namespace hookd::api {
namespace {

TEST(AuditChanges, MasksSecretsAtAnyDepthAndEveryHeaderValue) {
  EXPECT_EQ(audit_changes(R"({"url":"https://x","secret":"whsec_abc","headers":{"X-A":"1"}})"),
            R"({"headers":{"X-A":"********"},"secret":"********","url":"https://x"})");
  EXPECT_EQ(
      audit_changes(R"({"verification":{"type":"basic","password":"pw","apiKey":"k","n":1}})"),
      R"({"verification":{"apiKey":"********","n":1,"password":"********","type":"basic"}})");
  EXPECT_EQ(audit_changes(R"({"basicAuth":{"Authorization":"Basic x"},"tokens":[{"a":1}]})"),
            R"({"basicAuth":{"Authorization":"********"},"tokens":"********"})");
  EXPECT_EQ(audit_changes(R"({"secret":null})"), R"({"secret":null})");  // nothing to hide
}

TEST(AuditChanges, ABodyThatIsNoObjectRecordsNoFields) {
  EXPECT_EQ(audit_changes(""), "{}");
  EXPECT_EQ(audit_changes("[1]"), "{}");
  EXPECT_EQ(audit_changes("{not json"), "{}");
}

class AuditEntryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Application app;
    app.id = "app_a";
    app.uid = "acme";
    catalog_.put_app(app);
  }
  Route route(std::vector<std::string> pattern) {
    return Route{"PATCH", std::move(pattern), Scope::kApp, nullptr, nullptr, true};
  }
  Catalog catalog_;
};

TEST_F(AuditEntryTest, NamesTheCallerTheRouteTheApplicationAndTheObject) {
  HttpRequest req;
  req.method = "PATCH";
  req.path = "/api/v1/app/acme/endpoint/ep_1";
  req.body = R"({"secret":"whsec_x","description":"d"})";
  req.caller = Caller{"tok_1", "app_a", false};
  const HttpResponse answer{200, R"({"id":"ep_1","url":"https://x"})"};
  const Route r = route({"app", "*", "endpoint", "*"});
  const AuditEntry e = audit_entry(r, req, audit_target(r, {"acme", "ep_1"}, catalog_), answer);
  EXPECT_TRUE(e.id.starts_with("aud_"));
  EXPECT_EQ(e.token_id, "tok_1");
  EXPECT_EQ(e.token_kind, "application");
  EXPECT_EQ(e.app_id, "app_a");  // the uid in the path, resolved
  EXPECT_EQ(e.route, "/api/v1/app/{app_id}/endpoint/{endpoint_id}");
  EXPECT_EQ(e.path, req.path);
  EXPECT_EQ(e.object_id, "ep_1");
  EXPECT_EQ(e.changes_json, R"({"description":"d","secret":"********"})");
  EXPECT_EQ(e.status, 200);
}

TEST_F(AuditEntryTest, ACreateNamesTheNewObject) {
  HttpRequest req;
  req.method = "POST";
  req.caller = Caller{"admin", "", false};
  const AuditEntry app = audit_entry(route({"app"}), req, {}, {201, R"({"id":"app_new"})"});
  EXPECT_EQ(app.object_id, "app_new");
  EXPECT_EQ(app.app_id, "app_new");
  EXPECT_EQ(app.token_kind, "admin");
  const AuditEntry type = audit_entry(route({"event-type"}), req, {}, {201, R"({"name":"x.y"})"});
  EXPECT_EQ(type.object_id, "x.y");
  EXPECT_EQ(type.app_id, "");
  const AuditEntry token =
      audit_entry(route({"auth", "token"}), req, {}, {201, R"({"id":"tok_9","appId":"app_a"})"});
  EXPECT_EQ(token.object_id, "tok_9");
  EXPECT_EQ(token.app_id, "app_a");
}

TEST_F(AuditEntryTest, TheTargetIsReadByIdBeforeTheChange) {
  Endpoint ep;
  ep.id = "ep_1";
  ep.uid = "hooks";
  ep.app_id = "app_a";
  catalog_.put_endpoint(ep);
  ApiToken token;
  token.id = "tok_1";
  token.app_id = "app_a";
  catalog_.tokens().put(token);
  const auto target = [&](std::vector<std::string> pattern, Params params) {
    const AuditTarget t = audit_target(route(std::move(pattern)), params, catalog_);
    return t.app_id + " " + t.object_id;
  };
  EXPECT_EQ(target({"app", "*"}, {"acme"}), "app_a app_a");
  EXPECT_EQ(target({"app", "*", "endpoint", "*", "headers"}, {"acme", "hooks"}), "app_a ep_1");
  EXPECT_EQ(target({"app", "*", "endpoint", "*"}, {"acme", "gone"}), "app_a gone");
  EXPECT_EQ(target({"auth", "token", "*"}, {"tok_1"}), "app_a tok_1");
  EXPECT_EQ(target({"event-type", "*"}, {"x.y"}), " x.y");
  EXPECT_EQ(target({"app"}, {}), " ");
  // Creates: the answer names the object.
  const auto created = [&](std::vector<std::string> pattern) {
    const Route post{"POST", std::move(pattern), Scope::kApp, nullptr, nullptr, true};
    const AuditTarget t = audit_target(post, {"acme"}, catalog_);
    return t.app_id + " " + t.object_id;
  };
  EXPECT_EQ(created({"app", "*", "endpoint"}), "app_a ");
  EXPECT_EQ(created({"auth", "app-portal-access", "*"}), "app_a ");
  EXPECT_EQ(created({"auth", "app", "*", "expire-all"}), "app_a app_a");
}

TEST(RoutePathTemplate, NamesEachWildcardAfterItsSegment) {
  const Route r{"GET", {"app", "*", "msg", "*", "attempt", "*"}, Scope::kApp};
  EXPECT_EQ(r.path_template(), "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}");
  EXPECT_TRUE(r.names_app());
  const Route t{"DELETE", {"event-type", "*"}, Scope::kAnyRead};
  EXPECT_EQ(t.path_template(), "/api/v1/event-type/{event_type_name}");
  EXPECT_FALSE(t.names_app());
}

}  // namespace
}  // namespace hookd::api
