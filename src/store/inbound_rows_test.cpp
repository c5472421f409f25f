#include "store/inbound_rows.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

class InboundRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    options.rejection_sample = 5;
    store_ = open_sqlite_store(options);
    InboundSource source;
    source.id = "src_1";
    source.app_id = "app_1";
    ASSERT_EQ(store_->write_sync(write::PutSource{source}).status, WriteStatus::kOk);
  }
  void TearDown() override { store_.reset(); }

  void reject(int64_t at, const std::string& reason, uint64_t n = 0) {
    InboundRejection r;
    r.id = make_id("inr_", at, 0, n);
    r.source_id = "src_1";
    r.reason = reason;
    r.received_at = at;
    ASSERT_EQ(store_->write_sync(write::RecordRejection{r}).status, WriteStatus::kOk);
  }
  void receive(const std::string& key, int64_t first_at, int64_t last_at) {
    InboundEvent e;
    e.id = make_id("ine_", first_at, 0, 0);
    e.source_id = "src_1";
    e.event_key = key;
    e.occurred_at = e.received_at = last_at;
    e.content_type = "application/json";
    e.payload = "{}";
    ASSERT_EQ(store_->write_sync(write::UpsertInboundEvent{e, std::nullopt}).status,
              WriteStatus::kOk);
  }
  std::vector<std::string> event_keys() {
    std::vector<std::string> out;
    for (const auto& e : store_->list_inbound_events("src_1", {}, Page{50, ""})) {
      out.push_back(e.event_key);
    }
    return out;
  }

  ScratchDir dir_{"hookd-inbound-rows-test"};
  std::unique_ptr<Store> store_;
};

TEST_F(InboundRowsTest, RejectionsKeepTheNewestSampleAndCountEveryOne) {
  for (int i = 0; i < 12; ++i) reject(kT0 + i, i % 3 ? "client_id: wrong" : "hmac: mismatch");
  const auto rows = store_->list_rejections("src_1", Page{50, ""});
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows.front().id, make_id("inr_", kT0 + 11, 0, 0));  // newest first
  EXPECT_EQ(rows.back().id, make_id("inr_", kT0 + 7, 0, 0));
  const auto counts = store_->rejection_counts("src_1");
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].reason, "client_id: wrong");
  EXPECT_EQ(counts[0].count, 8);
  EXPECT_EQ(counts[0].last_at, kT0 + 11);
  EXPECT_EQ(counts[1].reason, "hmac: mismatch");
  EXPECT_EQ(counts[1].count, 4);
}

TEST_F(InboundRowsTest, DeletingTheSourceDeletesItsRejectionsAndCounts) {
  reject(kT0, "client_id: wrong");
  ASSERT_EQ(store_->write_sync(write::DeleteSource{"src_1"}).status, WriteStatus::kOk);
  EXPECT_TRUE(store_->list_rejections("src_1", Page{50, ""}).empty());
  EXPECT_TRUE(store_->rejection_counts("src_1").empty());
}

TEST_F(InboundRowsTest, RetentionPrunesOldInboundEventsAndRejections) {
  const int64_t cutoff = kT0 + 100'000;
  receive("old", kT0, kT0);
  receive("replaced", kT0 + 1, kT0 + 1);
  receive("replaced", kT0 + 1, cutoff + 5);  // sent again after the cutoff: kept
  receive("new", cutoff + 10, cutoff + 10);
  reject(kT0, "client_id: wrong");
  reject(cutoff + 1, "client_id: wrong");

  EXPECT_EQ(store_->write_sync(write::Prune{cutoff, 1'000}).affected, 1);
  EXPECT_EQ(event_keys(), (std::vector<std::string>{"new", "replaced"}));
  const auto rows = store_->list_rejections("src_1", Page{50, ""});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().received_at, cutoff + 1);
  EXPECT_EQ(store_->rejection_counts("src_1").front().count, 2);  // counts keep counting
  EXPECT_EQ(store_->write_sync(write::Prune{cutoff, 1'000}).affected, 0);
}

TEST_F(InboundRowsTest, RetentionPrunesInBatches) {
  for (int i = 0; i < 7; ++i) reject(kT0 + i, "client_id: wrong");  // sample 5: 5 stay
  EXPECT_EQ(store_->write_sync(write::Prune{kT0 + 1'000, 3}).affected, 3);
  EXPECT_EQ(store_->write_sync(write::Prune{kT0 + 1'000, 3}).affected, 2);
  EXPECT_TRUE(store_->list_rejections("src_1", Page{50, ""}).empty());
}

}  // namespace
}  // namespace hookd
