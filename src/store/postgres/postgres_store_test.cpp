// Tests of the PostgreSQL store against a real server (store/postgres/test_database.h): they run
// when HOOKD_TEST_POSTGRES names one and are skipped otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <future>
#include <thread>

#include "store/journey_run_checks.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/test_database.h"

namespace hookd {
namespace {

TEST_F(PostgresTest, MigratesOnceAndAgainIsANoOp) {
  pg::Connection db(url_);
  EXPECT_EQ(pg::migrate(db), pg::latest_schema_version());
  EXPECT_EQ(pg::migrate(db), pg::latest_schema_version());
  EXPECT_EQ(db.exec("SELECT count(*) FROM hookd_migrations").int64(0, 0),
            pg::latest_schema_version());
}

TEST_F(PostgresTest, NodesStartingTogetherMigrateInTurn) {
  std::vector<std::future<int>> nodes;
  for (int i = 0; i < 4; ++i) {
    nodes.push_back(std::async(std::launch::async, [this] {
      pg::Connection db(url_);
      return pg::migrate(db);
    }));
  }
  for (auto& n : nodes) EXPECT_EQ(n.get(), pg::latest_schema_version());
}

TEST_F(PostgresTest, AnInboundEventForwardingARepeatedEventIdIsRefusedAndNotStored) {
  open();
  ASSERT_EQ(store_->write_sync(insert(message("app_1", "evt-1", "{}"), {"ep_1"})).status,
            WriteStatus::kOk);
  write::UpsertInboundEvent upsert;
  upsert.event.id = new_id("ine_");
  upsert.event.source_id = "src_1";
  upsert.event.received_at = 1'000;
  upsert.forward = insert(message("app_1", "evt-1", "{}"), {"ep_1"});
  const WriteResult result = store_->write_sync(upsert);
  EXPECT_EQ(result.status, WriteStatus::kConflict) << result.detail;
  EXPECT_TRUE(result.stored_id.empty());
  pg::Connection db(url_);
  EXPECT_EQ(db.exec("SELECT count(*) FROM inbound_events").int64(0, 0), 0);
  EXPECT_EQ(db.exec("SELECT count(*) FROM messages").int64(0, 0), 1);
  EXPECT_EQ(db.exec("SELECT count(*) FROM deliveries").int64(0, 0), 1);
}

TEST_F(PostgresTest, JourneyRunsAreIndexedByAwaitedActivityAndDeadline) {
  open();
  journey_run_checks::runs_are_indexed_by_awaited_activity_and_deadline(*store_);
}

TEST_F(PostgresTest, AJourneyStepCommitsItsMessagesAndAppliedActivities) {
  open();
  journey_run_checks::a_step_commits_its_messages_and_applied_activities(*store_);
}

// An activity committed while an older write transaction is open (another node's, which may
// hold a lower sequence number) is not pending until that transaction ends.
TEST_F(PostgresTest, ActivitiesWaitForOlderWriteTransactionsToEnd) {
  open();
  pg::Connection other(url_);
  other.exec("BEGIN");
  other.exec("SELECT pg_current_xact_id()");  // a write transaction: it has an id
  write::InsertActivities activities{"app_1", {}, {}, 1'000};
  activities.activities.push_back({"act_1", "app_1", "ana", "viewed", "{}", 1'000, 1'000, 0});
  ASSERT_EQ(store_->write_sync(activities).status, WriteStatus::kOk);
  EXPECT_TRUE(store_->pending_activities(10).empty());
  other.exec("COMMIT");
  const auto pending = journey_run_checks::pending_when_visible(*store_, 1);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, "act_1");
}

TEST_F(PostgresTest, JourneyRunsPausedHeldWaitingAndCounted) {
  open();
  journey_run_checks::paused_held_waiting_and_counted_runs(*store_);
}

TEST_F(PostgresTest, KeepsPayloadBytesAsTheyCame) {
  open();
  const std::string bytes = std::string("{\"a\":\"\xc3\xa9\"}\n\x01\xff", 14);
  auto m = message("app_1", "", bytes);
  ASSERT_EQ(store_->write_sync(insert(m, {"ep_1"})).status, WriteStatus::kOk);
  auto got = store_->get_message("app_1", m->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, bytes);
  const auto pending = store_->pending_page(INT64_MAX, {}, 10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].message->payload, bytes);
  EXPECT_EQ(pending[0].delivery.endpoint_id, "ep_1");
}

TEST_F(PostgresTest, ASecondEventIdIsAConflictEvenInTheSameCommit) {
  open();
  std::promise<void> both;
  std::atomic<int> left{2};
  std::vector<WriteStatus> statuses(2);
  for (int i = 0; i < 2; ++i) {
    store_->write(insert(message("app_1", "evt-1", "{}"), {"ep_1"}), [&, i](const WriteResult& r) {
      statuses[i] = r.status;
      if (--left == 0) both.set_value();
    });
  }
  both.get_future().wait();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), WriteStatus::kOk), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), WriteStatus::kConflict), 1);
  EXPECT_EQ(store_->pending_page(INT64_MAX, {}, 10).size(), 1u) << "no delivery for the refused";
}

TEST_F(PostgresTest, MessagesOfOneCommitLandWithTheirBytesAndDeliveries) {
  open();
  // Queued at once, so that commits carry many: each shares the commit's two statements.
  constexpr int kCount = 300;
  std::vector<MessagePtr> sent;
  std::promise<void> all;
  std::atomic<int> left{kCount};
  std::atomic<int> ok{0};
  for (int i = 0; i < kCount; ++i) {
    std::string payload = "{\"q\":\"a \\\" b \\\\ {c,d} NULL\",\"i\":" + std::to_string(i) + "}";
    payload += std::string("\0\xff", 2);
    auto m = message("app_1", i % 10 == 9 ? "dup" : "", payload, {"ch \"x\"", "b,c"});
    sent.push_back(m);
    store_->write(insert(m, {"ep_1", "ep_2"}), [&](const WriteResult& r) {
      if (r.status == WriteStatus::kOk) ++ok;
      if (--left == 0) all.set_value();
    });
  }
  all.get_future().wait();
  EXPECT_EQ(ok.load(), kCount - kCount / 10 + 1) << "one of the 30 messages with eventId dup";
  for (const auto& m : sent) {
    auto got = store_->get_message("app_1", m->id);
    if (m->event_id == "dup" && !got) continue;
    ASSERT_TRUE(got) << m->id;
    EXPECT_EQ(got->payload, m->payload);
    EXPECT_EQ(got->channels, m->channels);
    EXPECT_EQ(store_->list_deliveries_of_message(m->id).size(), 2u);
  }
}

}  // namespace
}  // namespace hookd
