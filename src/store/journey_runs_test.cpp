// The journey engine's rows on the SQLite store (store/journey_run_checks.h).
#include <gtest/gtest.h>

#include <thread>

#include "store/journey_run_checks.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd {
namespace {

class SqliteJourneyRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    store_ = open_sqlite_store(options);
  }
  ScratchDir dir_{"journey-runs"};
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteJourneyRunsTest, RunsAreIndexedByAwaitedActivityAndDeadline) {
  journey_run_checks::runs_are_indexed_by_awaited_activity_and_deadline(*store_);
}

TEST_F(SqliteJourneyRunsTest, AStepCommitsItsMessagesAndAppliedActivities) {
  journey_run_checks::a_step_commits_its_messages_and_applied_activities(*store_);
}

TEST_F(SqliteJourneyRunsTest, PausedHeldWaitingAndCountedRuns) {
  journey_run_checks::paused_held_waiting_and_counted_runs(*store_);
}

// A read group's reads share one snapshot, on this thread only: a write committed meanwhile is
// seen by other threads at once, and by this one once the group goes.
TEST_F(SqliteJourneyRunsTest, ReadsInAGroupShareOneSnapshot) {
  auto activity = [](const char* id) {
    write::InsertActivities w{"app_1", {}, {}, 1'000};
    w.activities.push_back({id, "app_1", "ana", "viewed", "{}", 1'000, 1'000, 0});
    return w;
  };
  ASSERT_EQ(store_->write_sync(activity("act_1")).status, WriteStatus::kOk);
  {
    const auto group = store_->group_reads();
    ASSERT_NE(group, nullptr);
    EXPECT_EQ(store_->group_reads(), nullptr);  // one group at a time: the outer one holds
    EXPECT_EQ(store_->pending_activities(10).size(), 1u);
    ASSERT_EQ(store_->write_sync(activity("act_2")).status, WriteStatus::kOk);
    EXPECT_EQ(store_->pending_activities(10).size(), 1u);  // the group's snapshot
    size_t elsewhere = 0;
    std::thread([&] { elsewhere = store_->pending_activities(10).size(); }).join();
    EXPECT_EQ(elsewhere, 2u);
  }
  const auto pending = store_->pending_activities(10);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(store_->pending_activities(10, pending[0].seq).size(), 1u);  // after a seq
}

}  // namespace
}  // namespace hookd
