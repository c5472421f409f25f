// The journey engine's rows on the SQLite store (store/journey_run_checks.h).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hookd
