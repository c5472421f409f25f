#include <gtest/gtest.h>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd {
namespace {

class TokensAndAuditTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { store_.reset(); }
  void open() {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    store_ = open_sqlite_store(options);
  }
  void reopen() {
    store_->close();
    open();
  }
  AuditEntry entry(int64_t at, std::string app_id, std::string object_id) {
    AuditEntry e;
    e.id = make_id("aud_", at, 0, static_cast<uint64_t>(at));
    e.at = at;
    e.token_id = "admin";
    e.token_kind = "admin";
    e.app_id = std::move(app_id);
    e.method = "POST";
    e.route = "/api/v1/app";
    e.path = "/api/v1/app";
    e.object_id = std::move(object_id);
    e.changes_json = R"({"name":"x"})";
    e.status = 201;
    return e;
  }
  std::vector<std::string> ids(const AuditFilter& filter, Page page = {}) {
    std::vector<std::string> out;
    for (const auto& e : store_->list_audit(filter, page)) out.push_back(e.object_id);
    return out;
  }

  ScratchDir dir_{"hookd-audit-test"};
  std::unique_ptr<Store> store_;
};

TEST_F(TokensAndAuditTest, TokensLoadWithTheCatalogAfterARestart) {
  ApiToken t;
  t.id = "tok_1";
  t.name = "ci";
  t.app_id = "app_a";
  t.read_only = true;
  t.session_id = "s1";
  t.secret_hash = std::string(64, 'a');
  t.created_at = 1;
  t.expires_at = 2;
  ASSERT_EQ(store_->write_sync(write::PutToken{t}).status, WriteStatus::kOk);
  t.revoked_at = 3;  // a revocation is a put
  ASSERT_EQ(store_->write_sync(write::PutToken{t}).status, WriteStatus::kOk);
  reopen();
  const auto tokens = store_->load_catalog().tokens;
  ASSERT_EQ(tokens.size(), 1u);
  const ApiToken& got = tokens[0];
  EXPECT_EQ(got.id, "tok_1");
  EXPECT_EQ(got.name, "ci");
  EXPECT_EQ(got.app_id, "app_a");
  EXPECT_TRUE(got.read_only);
  EXPECT_EQ(got.session_id, "s1");
  EXPECT_EQ(got.secret_hash, t.secret_hash);
  EXPECT_EQ(got.expires_at, 2);
  EXPECT_EQ(got.revoked_at, 3);
}

TEST_F(TokensAndAuditTest, TheAuditLogListsNewestFirstFilteredAndPaged) {
  for (int i = 1; i <= 5; ++i) {
    const AuditEntry e = entry(1'000 * i, i % 2 ? "app_a" : "app_b", "obj" + std::to_string(i));
    ASSERT_EQ(store_->write_sync(write::RecordAudit{e}).status, WriteStatus::kOk);
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"obj5", "obj4", "obj3", "obj2", "obj1"}));
  EXPECT_EQ(ids({"app_a", "", {}, {}}), (V{"obj5", "obj3", "obj1"}));
  EXPECT_EQ(ids({"", "obj2", {}, {}}), (V{"obj2"}));
  EXPECT_EQ(ids({"", "", 2'000, 4'000}), (V{"obj3", "obj2"}));  // since inclusive, until not
  // limit + 1 rows tell that more follow; the iterator is the last id shown.
  const auto first = store_->list_audit({}, Page{2, ""});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(ids({}, Page{2, first[1].id}), (V{"obj3", "obj2", "obj1"}));
  const AuditEntry& e = first[0];
  EXPECT_EQ(e.route, "/api/v1/app");
  EXPECT_EQ(e.changes_json, R"({"name":"x"})");
  EXPECT_EQ(e.status, 201);
  EXPECT_EQ(e.at, 5'000);
}

TEST_F(TokensAndAuditTest, RetentionDeletesOldAuditEntries) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(
        store_->write_sync(write::RecordAudit{entry(1'000 * i, "", std::to_string(i))}).status,
        WriteStatus::kOk);
  }
  EXPECT_EQ(store_->write_sync(write::Prune{2'500, 100}).affected, 2);
  EXPECT_EQ(ids({}), (std::vector<std::string>{"3"}));
}

}  // namespace
}  // namespace hookd
