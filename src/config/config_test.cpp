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
}

}  // namespace
}  // namespace hookd
