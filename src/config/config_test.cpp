#include "config/config.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(Config, DefaultsAreTheDocumentedOnes) {
  const Config c = build_config({});
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8071);
  EXPECT_EQ(c.retry.max_attempts(), 8);
  EXPECT_EQ(c.max_body_bytes, 1 << 20);
  EXPECT_EQ(c.address_policy.permits_literal("127.0.0.1"), false);
  EXPECT_TRUE(c.serve_api);
  EXPECT_TRUE(c.deliver);
}

TEST(Config, ParsesEveryKindOfValue) {
  const Config c = build_config({{"listen", "0.0.0.0:9000"},
                                 {"ssrf_allow", "127.0.0.0/8"},
                                 {"retry_schedule", "1s,2s"},
                                 {"retry_jitter", "0"},
                                 {"role", "api"}});
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.address_policy.permits_literal("127.0.0.1"), true);
  EXPECT_EQ(c.retry.delays_ms, (std::vector<int64_t>{1000, 2000}));
  EXPECT_EQ(c.retry.jitter, 0.0);
  EXPECT_FALSE(c.deliver);
}

TEST(Config, ErrorsNameTheKey) {
  auto message_of = [](std::map<std::string, std::string> s) {
    try {
      build_config(s);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of({{"listen", "nope"}}).rfind("listen:", 0), 0u);
  EXPECT_EQ(message_of({{"retry_schedule", "soon"}}).rfind("retry_schedule:", 0), 0u);
  EXPECT_EQ(message_of({{"ssrf_allow", "10.0.0.0/99"}}).rfind("ssrf_allow:", 0), 0u);
  EXPECT_EQ(message_of({{"role", "boss"}}).rfind("role:", 0), 0u);
  EXPECT_EQ(message_of({{"io_threads", "0"}}).rfind("io_threads:", 0), 0u);
  EXPECT_EQ(message_of({{"admin_token", "short"}}).rfind("admin_token:", 0), 0u);
  EXPECT_EQ(message_of({{"colour", "blue"}}).rfind("colour:", 0), 0u);
  for (const char* key : {"disable_after_failing_for", "circuit_cooldown", "alert_hourly_interval",
                          "retention_interval"}) {
    EXPECT_EQ(message_of({{key, "soon"}}).rfind(std::string(key) + ":", 0), 0u) << key;
  }
  EXPECT_EQ(message_of({{"circuit_failure_ratio", "1.5"}}).rfind("circuit_failure_ratio:", 0), 0u);
  EXPECT_EQ(message_of({{"smtp_url", "http://mail"}}).rfind("smtp_url:", 0), 0u);
  EXPECT_EQ(message_of({{"smtp_from", "nobody"}}).rfind("smtp_from:", 0), 0u);
  EXPECT_EQ(message_of({{"https_only", "maybe"}}).rfind("https_only:", 0), 0u);
  EXPECT_EQ(message_of({{"egress_proxy", "ftp://p"}}).rfind("egress_proxy:", 0), 0u);
}

TEST(Config, ReadsClusterSettingsAndRefusesALeaseShorterThanARequest) {
  const Config c = build_config({{"node_id", "n-1"},
                                 {"claim_lease", "30s"},
                                 {"poll_interval", "500ms"},
                                 {"heartbeat_interval", "1s"},
                                 {"database_pool_size", "8"},
                                 {"database_url", "postgres://db/hookd"}});
  EXPECT_EQ(c.node_id, "n-1");
  EXPECT_EQ(c.claim_lease_ms, 30'000);
  EXPECT_EQ(c.poll_interval_ms, 500);
  EXPECT_EQ(c.heartbeat_interval_ms, 1'000);
  EXPECT_EQ(c.database_pool_size, 8);
  try {
    build_config({{"claim_lease", "10s"},
                  {"request_timeout_ms", "15000"},
                  {"database_url", "postgres://db/hookd"}});
    ADD_FAILURE() << "a lease shorter than a request was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("claim_lease:", 0), 0u) << e.what();
  }
  // SQLite claims nothing: the lease does not matter there.
  EXPECT_NO_THROW(build_config({{"claim_lease", "10s"}, {"request_timeout_ms", "15000"}}));
}

TEST(Config, ErrorsDoNotRepeatAPasswordOfAUrl) {
  try {
    build_config({{"egress_proxy", "ftp://user:hunter2@proxy:21"}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ftp://user:***@proxy:21"), std::string::npos);
  }
}

TEST(Config, ReadsTheSecretEncryptionKeys) {
  constexpr const char* kKey = "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=";
  constexpr const char* kOld = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  EXPECT_FALSE(build_config({}).secret_box.enabled());
  const Config c = build_config(
      {{"secret_encryption_key", kKey}, {"secret_encryption_previous_keys", std::string(kOld)}});
  ASSERT_TRUE(c.secret_box.enabled());
  const std::string sealed_with_old = SecretBox::from_keys(kOld, {}).seal("s");
  EXPECT_EQ(c.secret_box.open(sealed_with_old), "s");
  auto message_of = [](std::map<std::string, std::string> s) {
    try {
      build_config(s);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of({{"secret_encryption_key", "c2hvcnQ="}}).rfind("secret_encryption_key:", 0),
            0u);
  EXPECT_EQ(
      message_of({{"secret_encryption_key", kKey}, {"secret_encryption_previous_keys", "nope"}})
          .rfind("secret_encryption_previous_keys:", 0),
      0u);
  EXPECT_EQ(message_of({{"secret_encryption_previous_keys", kOld}})
                .rfind("secret_encryption_previous_keys:", 0),
            0u);
}

TEST(Config, ReadsFailureHandlingSettings) {
  const Config c = build_config({{"disable_after_exhausted", "3"},
                                 {"disable_after_failing_for", "2d"},
                                 {"circuit_window", "0"},
                                 {"circuit_cooldown", "1500ms"},
                                 {"smtp_url", "smtp://127.0.0.1:2525"},
                                 {"smtp_require_tls", "true"},
                                 {"alert_immediate_interval", "2s"},
                                 {"https_only", "yes"},
                                 {"retention_days", "0"}});
  EXPECT_EQ(c.disable_after_exhausted, 3);
  EXPECT_EQ(c.disable_after_failing_for_ms, 2 * 86'400'000LL);
  EXPECT_EQ(c.circuit_window, 0);
  EXPECT_EQ(c.circuit_cooldown_ms, 1'500);
  EXPECT_EQ(c.smtp_url, "smtp://127.0.0.1:2525");
  EXPECT_TRUE(c.smtp_require_tls);
  EXPECT_EQ(c.alert_immediate_interval_ms, 2'000);
  EXPECT_TRUE(c.https_only);
  EXPECT_EQ(c.retention_days, 0);
}

}  // namespace
}  // namespace hookd
