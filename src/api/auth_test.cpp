#include "api/auth.h"

#include <gtest/gtest.h>

#include "signing/signature.h"

namespace hookd::api {
namespace {

constexpr const char* kAdmin = "admin-token-0123456789";
constexpr int64_t kNow = 1'800'000'000'000;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"app_a", "app_b"}) {
      Application app;
      app.id = id;
      app.uid = std::string(id) + "-uid";
      catalog_.put_app(app);
    }
  }

  // Stores a token with `secret` and returns it.
  ApiToken add(const std::string& id, const std::string& secret, std::string app_id = "",
               bool read_only = false) {
    ApiToken t;
    t.id = id;
    t.app_id = std::move(app_id);
    t.read_only = read_only;
    t.secret_hash = signing::sha256_hex(secret);
    catalog_.tokens().put(t);
    return t;
  }

  // "ok <token id> <app id>" or "<status> <detail>".
  std::string authenticated(const std::string& authorization) {
    Caller caller;
    auto refused = authenticate(authorization, kAdmin, catalog_.tokens(), kNow, caller);
    if (refused) return std::to_string(refused->status) + " " + refused->body;
    return "ok " + caller.token_id + " " + caller.app_id;
  }

  // "ok" or the 403's status.
  std::string authorized(const Caller& caller, Scope scope, const char* method,
                         const char* app = "") {
    auto refused = authorize(caller, scope, method, app, catalog_);
    return refused ? std::to_string(refused->status) : "ok";
  }

  Catalog catalog_;
};

TEST_F(AuthTest, TheAdminTokenAndUsableStoredTokensAuthenticate) {
  add("tok_a", "appsk_a", "app_a");
  EXPECT_EQ(authenticated(std::string("Bearer ") + kAdmin), "ok admin ");
  EXPECT_EQ(authenticated("Bearer appsk_a"), "ok tok_a app_a");
}

TEST_F(AuthTest, RefusalsSayWhy) {
  ApiToken revoked = add("tok_r", "appsk_r", "app_a");
  revoked.revoked_at = kNow - 1;
  catalog_.tokens().put(revoked);
  ApiToken expired = add("tok_e", "appsk_e", "app_a");
  expired.expires_at = kNow;
  catalog_.tokens().put(expired);
  const std::string bad = R"(401 {"code":"authentication_failed","detail":"Authorization: )";
  EXPECT_EQ(authenticated(""), bad + R"(missing bearer token"})");
  EXPECT_EQ(authenticated("Bearer nope"), bad + R"(invalid token"})");
  EXPECT_EQ(authenticated(std::string("Basic ") + kAdmin), bad + R"(invalid token"})");
  EXPECT_EQ(authenticated("Bearer "), bad + R"(invalid token"})");
  EXPECT_EQ(authenticated("Bearer appsk_r"), bad + R"(token revoked"})");
  EXPECT_EQ(authenticated("Bearer appsk_e"), bad + R"(token expired"})");
}

TEST_F(AuthTest, ATokenIsFoundByItsNewSecretOnly) {
  ApiToken t = add("tok_a", "appsk_old", "app_a");
  t.secret_hash = signing::sha256_hex("appsk_new");
  catalog_.tokens().put(t);
  EXPECT_EQ(authenticated("Bearer appsk_new"), "ok tok_a app_a");
  EXPECT_TRUE(authenticated("Bearer appsk_old").starts_with("401"));
}

TEST_F(AuthTest, AGlobalTokenMayUseEveryScope) {
  const Caller admin{"admin", "", false};
  for (Scope scope :
       {Scope::kGlobal, Scope::kAnyRead, Scope::kAppRead, Scope::kApp, Scope::kCaller}) {
    EXPECT_EQ(authorized(admin, scope, "DELETE", "app_b"), "ok") << scope_name(scope);
  }
}

TEST_F(AuthTest, AnApplicationTokenStaysInItsApplication) {
  const Caller a{"tok_a", "app_a", false};
  EXPECT_EQ(authorized(a, Scope::kApp, "POST", "app_a"), "ok");
  EXPECT_EQ(authorized(a, Scope::kApp, "GET", "app_a-uid"), "ok");  // by uid
  EXPECT_EQ(authorized(a, Scope::kApp, "GET", "app_b"), "403");
  EXPECT_EQ(authorized(a, Scope::kApp, "GET", "app_b-uid"), "403");
  EXPECT_EQ(authorized(a, Scope::kApp, "GET", "app_unknown"), "403");
  EXPECT_EQ(authorized(a, Scope::kAppRead, "GET", "app_a"), "ok");
  EXPECT_EQ(authorized(a, Scope::kAppRead, "PATCH", "app_a"), "403");
  EXPECT_EQ(authorized(a, Scope::kAppRead, "GET", "app_b"), "403");
  EXPECT_EQ(authorized(a, Scope::kAnyRead, "GET"), "ok");
  EXPECT_EQ(authorized(a, Scope::kAnyRead, "POST"), "403");
  EXPECT_EQ(authorized(a, Scope::kGlobal, "GET"), "403");
  EXPECT_EQ(authorized(a, Scope::kCaller, "POST"), "ok");
}

TEST_F(AuthTest, AReadOnlyTokenOnlyReads) {
  const Caller global{"tok_g", "", true};
  const Caller app{"tok_a", "app_a", true};
  for (const Caller& caller : {global, app}) {
    EXPECT_EQ(authorized(caller, Scope::kApp, "GET", "app_a"), "ok");
    EXPECT_EQ(authorized(caller, Scope::kApp, "HEAD", "app_a"), "ok");
    for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
      EXPECT_EQ(authorized(caller, Scope::kApp, method, "app_a"), "403") << method;
    }
    EXPECT_EQ(authorized(caller, Scope::kCaller, "POST"), "ok");  // logging out
  }
  EXPECT_EQ(authorized(global, Scope::kGlobal, "GET"), "ok");
}

TEST_F(AuthTest, SecretsHaveTheirKindsPrefixAndDiffer) {
  const std::string a = new_token_secret(true), b = new_token_secret(true);
  EXPECT_TRUE(a.starts_with("appsk_"));
  EXPECT_EQ(a.size(), 6u + 64u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(new_token_secret(false).starts_with("hksk_"));
}

}  // namespace
}  // namespace hookd::api
