#include "catalog/catalog.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

Endpoint endpoint(std::string id, std::vector<std::string> types = {},
                  std::vector<std::string> channels = {}, bool disabled = false) {
  Endpoint ep;
  ep.id = std::move(id);
  ep.app_id = "app_1";
  ep.event_types = std::move(types);
  ep.channels = std::move(channels);
  ep.disabled = disabled;
  return ep;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Application app;
    app.id = "app_1";
    app.uid = "acme";
    catalog_.put_app(app);
    EventType opened;
    opened.name = "email.opened";
    catalog_.put_event_type(opened);
    EventType old = opened;
    old.name = "email.old";
    old.archived = true;
    catalog_.put_event_type(old);
    catalog_.put_endpoint(endpoint("ep_all"));
    catalog_.put_endpoint(endpoint("ep_opened", {"email.opened"}));
    catalog_.put_endpoint(endpoint("ep_clicked", {"email.clicked"}));
    catalog_.put_endpoint(endpoint("ep_eu", {}, {"eu"}));
    catalog_.put_endpoint(endpoint("ep_off", {}, {}, true));
  }
  Catalog catalog_;
};

TEST_F(CatalogTest, RoutesByEventTypeChannelAndState) {
  auto route = catalog_.route_message("acme", "email.opened", {});
  ASSERT_EQ(route.status, MessageRoute::Status::kOk);
  EXPECT_EQ(route.app_id, "app_1");
  EXPECT_EQ(route.endpoint_ids, (std::vector<std::string>{"ep_all", "ep_opened"}));

  // Svix's rule: endpoints without channels receive every channel; an endpoint with channels
  // only messages that share one.
  route = catalog_.route_message("app_1", "email.opened", {"eu"});
  EXPECT_EQ(route.endpoint_ids, (std::vector<std::string>{"ep_all", "ep_eu", "ep_opened"}));
  route = catalog_.route_message("app_1", "email.opened", {"us"});
  EXPECT_EQ(route.endpoint_ids, (std::vector<std::string>{"ep_all", "ep_opened"}));
}

TEST_F(CatalogTest, RefusesUnknownAppsAndEventTypes) {
  EXPECT_EQ(catalog_.route_message("nope", "email.opened", {}).status,
            MessageRoute::Status::kUnknownApp);
  EXPECT_EQ(catalog_.route_message("acme", "email.unknown", {}).status,
            MessageRoute::Status::kUnknownEventType);
  EXPECT_EQ(catalog_.route_message("acme", "email.old", {}).status,
            MessageRoute::Status::kArchivedEventType);
}

TEST_F(CatalogTest, UpdatesReplaceSnapshotsAndRemovalsCascade) {
  const EndpointPtr before = catalog_.endpoint_by_id("ep_opened");
  Endpoint changed = *before;
  changed.disabled = true;
  catalog_.put_endpoint(changed);
  EXPECT_FALSE(before->disabled);  // a holder keeps the configuration it started with
  EXPECT_TRUE(catalog_.endpoint_by_id("ep_opened")->disabled);
  EXPECT_EQ(catalog_.route_message("acme", "email.opened", {}).endpoint_ids,
            (std::vector<std::string>{"ep_all"}));

  catalog_.remove_endpoint("ep_all");
  EXPECT_EQ(catalog_.endpoint_by_id("ep_all"), nullptr);
  EXPECT_EQ(catalog_.list_endpoints("app_1").size(), 4u);

  catalog_.remove_app("app_1");
  EXPECT_FALSE(catalog_.find_app("acme"));
  EXPECT_EQ(catalog_.endpoint_by_id("ep_eu"), nullptr);
}

TEST_F(CatalogTest, FindsEndpointsByIdOrUid) {
  Endpoint named = endpoint("ep_named");
  named.uid = "crm";
  catalog_.put_endpoint(named);
  EXPECT_EQ(catalog_.find_endpoint("app_1", "crm")->id, "ep_named");
  EXPECT_EQ(catalog_.find_endpoint("app_1", "ep_named")->id, "ep_named");
  EXPECT_EQ(catalog_.find_endpoint("app_2", "crm"), nullptr);
  const auto list = catalog_.list_endpoints("app_1");
  ASSERT_EQ(list.size(), 6u);
  EXPECT_TRUE(std::is_sorted(list.begin(), list.end(),
                             [](const auto& a, const auto& b) { return a->id < b->id; }));
}

TEST_F(CatalogTest, RoutesComeInEndpointOrderAndFollowEveryChange) {
  // Endpoints of one type and endpoints of every type, ids interleaved.
  catalog_.put_endpoint(endpoint("ep_b_opened", {"email.opened", "email.clicked", "email.opened"}));
  catalog_.put_endpoint(endpoint("ep_z_opened", {"email.clicked", "email.opened"}));
  catalog_.put_endpoint(endpoint("ep_c_all"));
  const std::vector<std::string> all_five{"ep_all", "ep_b_opened", "ep_c_all", "ep_opened",
                                          "ep_z_opened"};
  EXPECT_EQ(catalog_.route_message("acme", "email.opened", {}).endpoint_ids, all_five);

  // Changing an endpoint's types moves it; disabling takes it out; enabling brings it back.
  Endpoint moved = *catalog_.endpoint_by_id("ep_z_opened");
  moved.event_types = {"email.clicked"};
  catalog_.put_endpoint(moved);
  Endpoint off = *catalog_.endpoint_by_id("ep_c_all");
  off.disabled = true;
  catalog_.put_endpoint(off);
  EXPECT_EQ(catalog_.route_message("acme", "email.opened", {}).endpoint_ids,
            (std::vector<std::string>{"ep_all", "ep_b_opened", "ep_opened"}));
  off.disabled = false;
  catalog_.put_endpoint(off);
  catalog_.remove_endpoint("ep_opened");
  EXPECT_EQ(catalog_.route_message("acme", "email.opened", {}).endpoint_ids,
            (std::vector<std::string>{"ep_all", "ep_b_opened", "ep_c_all"}));

  // A type nobody subscribes to reaches the endpoints of every type only.
  EventType other;
  other.name = "cart.abandoned";
  catalog_.put_event_type(other);
  EXPECT_EQ(catalog_.route_message("acme", "cart.abandoned", {}).endpoint_ids,
            (std::vector<std::string>{"ep_all", "ep_c_all"}));
}

TEST_F(CatalogTest, ALoadedSnapshotRoutesAsEndpointsAddedOneByOne) {
  CatalogSnapshot snapshot;
  Application app;
  app.id = "app_9";
  app.uid = "nine";
  snapshot.apps.push_back(app);
  EventType opened;
  opened.name = "email.opened";
  snapshot.event_types.push_back(opened);
  for (auto ep : {endpoint("ep_3", {"email.opened"}), endpoint("ep_1"),
                  endpoint("ep_2", {"email.opened"}, {}, true), endpoint("ep_0", {"x.y"})}) {
    ep.app_id = "app_9";
    snapshot.endpoints.push_back(ep);
  }
  Catalog loaded;
  loaded.load(snapshot);
  EXPECT_EQ(loaded.route_message("nine", "email.opened", {}).endpoint_ids,
            (std::vector<std::string>{"ep_1", "ep_3"}));
  EXPECT_EQ(loaded.route_message("app_9", "email.opened", {}).app_id, "app_9");

  // A new uid replaces the old one.
  app.uid = "neuf";
  loaded.put_app(app);
  EXPECT_FALSE(loaded.find_app("nine"));
  EXPECT_EQ(loaded.route_message("neuf", "email.opened", {}).endpoint_ids.size(), 2u);
}

// A stored endpoint holds its secrets as "whsec_..." text; the catalog decodes the key bytes that
// deliveries sign with, and compiles its filter.
TEST(CatalogLoad, DecodesSecretsAndCompilesFilters) {
  CatalogSnapshot snapshot;
  Application app;
  app.id = "app_1";
  snapshot.apps.push_back(app);
  Endpoint ep = endpoint("ep_1");
  ep.secrets.push_back({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", 0});
  ep.secrets.push_back({"whsec_!!", "", 0});
  ep.filter_json = R"({"city":"Paris"})";
  snapshot.endpoints.push_back(ep);
  Catalog catalog;
  catalog.load(snapshot);
  const EndpointPtr loaded = catalog.endpoint_by_id("ep_1");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->secrets[0].key.size(), 24u);
  EXPECT_EQ(loaded->secrets[1].key, "");  // does not decode: signs nothing
  EXPECT_NE(loaded->filter, nullptr);
}

TEST(CatalogLoad, AStoredEndpointWithABadFilterStopsTheLoad) {
  CatalogSnapshot snapshot;
  Endpoint ep = endpoint("ep_1");
  ep.filter_json = R"({"city":{"$nope":1}})";
  snapshot.endpoints.push_back(ep);
  Catalog catalog;
  try {
    catalog.load(snapshot);
    ADD_FAILURE() << "the load went through";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "stored endpoint ep_1: filter: city: unknown operator $nope");
  }
}

TEST(CompileEndpoint, NamesTheFieldThatDoesNotCompile) {
  Endpoint ep = endpoint("ep_1");
  ep.signing_type = "ed25519";
  ep.signing_key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
  const auto bad_key = compile_endpoint(ep);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.problem().field, "signing key");
  ep.signing_type = "hmac";
  ep.filter_json = "[1]";
  const auto bad_filter = compile_endpoint(ep);
  ASSERT_FALSE(bad_filter);
  EXPECT_EQ(bad_filter.problem().message(), "filter: must be a JSON object of conditions");
  ep.filter_json = R"({"city": "Thane"})";
  ASSERT_TRUE(compile_endpoint(ep));
}

}  // namespace
}  // namespace hookd
