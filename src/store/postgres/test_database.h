#pragma once

// The fixture of the PostgreSQL store's unit tests: each test works in a database of its own on
// the server HOOKD_TEST_POSTGRES names (postgres://user@host:port, as scripts/test.sh sets it),
// dropped at the end; without it the tests are skipped. Test code only.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "store/postgres/pg.h"
#include "store/postgres/postgres_store.h"

namespace hookd {

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* server = std::getenv("HOOKD_TEST_POSTGRES");
    if (!server || !*server) GTEST_SKIP() << "HOOKD_TEST_POSTGRES is not set";
    server_ = server;
    name_ = "unit_" + random_suffix();
    pg::Connection(server_ + "/postgres").exec("CREATE DATABASE " + name_);
    url_ = server_ + "/" + name_;
  }
  void TearDown() override {
    store_.reset();
    if (!name_.empty() && !server_.empty()) {
      pg::Connection(server_ + "/postgres")
          .exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
  }
  static std::string random_suffix() {
    std::string id = new_id("");
    for (auto& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return id;
  }
  PostgresOptions options() const {
    PostgresOptions options;
    options.url = url_;
    options.node_id = "node-a";
    return options;
  }
  void open() { store_ = open_postgres_store(options()); }
  MessagePtr message(const std::string& app, const std::string& event_id, std::string payload,
                     std::vector<std::string> channels = {}) {
    auto m = std::make_shared<Message>();
    m->channels = std::move(channels);
    m->id = new_id("msg_");
    m->app_id = app;
    m->event_type = "t.x";
    m->event_id = event_id;
    m->payload = std::move(payload);
    m->created_at = 1'000;
    return m;
  }
  write::InsertMessage insert(MessagePtr m, std::vector<std::string> endpoints) {
    return {std::move(m), std::make_shared<const std::vector<std::string>>(std::move(endpoints))};
  }

  std::string server_, name_, url_;
  std::unique_ptr<Store> store_;
};

}  // namespace hookd
