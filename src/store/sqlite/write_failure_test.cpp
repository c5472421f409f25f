// The store under a failing disk, through the fault-injecting VFS (store/sqlite/fault_vfs.h):
// the sticky-failure contract of store/store.h, and the one failure it recovers from.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/fault_vfs.h"
#include "store/sqlite/sqlite_store.h"
#include "store/write_recovery.h"

namespace hookd {
namespace {

// Whether `text` contains `part`; the message names both when it does not.
::testing::AssertionResult contains(const std::string& text, const char* part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

class SqliteWriteFailureTest : public ::testing::Test {
 protected:
  void TearDown() override { store_.reset(); }  // closed before the directory goes

  // The store, its writer opening the database through the fault VFS (or, `faulty` false,
  // as hookd does).
  void open(bool faulty) {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    if (faulty) options.vfs_name = sqlite::fault_vfs();
    store_ = open_sqlite_store(options);
  }

  static write::InsertMessage insert(const std::string& app = "app_1") {
    auto m = std::make_shared<Message>();
    m->id = new_id("msg_");
    m->app_id = app;
    m->event_type = "a.b";
    m->payload = R"({"n":1})";
    m->created_at = 1000;
    return {m, std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"ep_1"})};
  }

  // Writes `n` messages, each acknowledged; returns their ids.
  std::vector<std::string> acknowledged(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto w = insert();
      ids.push_back(w.message->id);
      EXPECT_EQ(store_->write_sync(std::move(w)).status, WriteStatus::kOk);
    }
    return ids;
  }

  // The write the fault strikes: its callback's result.
  WriteResult write_under(sqlite::WalFault fault) {
    const int struck = sqlite::wal_faults_struck();
    sqlite::inject_wal_fault(fault);
    const WriteResult result = store_->write_sync(insert());
    EXPECT_EQ(sqlite::wal_faults_struck(), struck + 1) << "the fault struck that write";
    return result;
  }

  // A write's result, or kUnavailable "no answer" when its callback did not run within 5 s
  // (a store that queued the write and never commits it).
  WriteResult refused_or_not(WriteOp op) {
    auto promise = std::make_shared<std::promise<WriteResult>>();
    auto answer = promise->get_future();
    store_->write(std::move(op), [promise](const WriteResult& r) { promise->set_value(r); });
    if (answer.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "the write was queued and not answered";
      return {WriteStatus::kUnavailable, "no answer"};
    }
    return answer.get();
  }

  // Reopens the file as hookd does and checks that every id reads back with its delivery.
  void expect_kept(const std::vector<std::string>& ids) {
    store_->close();
    open(false);
    for (const auto& id : ids) {
      EXPECT_TRUE(store_->get_message("app_1", id).has_value()) << id;
      EXPECT_EQ(store_->list_deliveries_of_message(id).size(), 1u) << id;
    }
  }

  // Longer than the store waits before probing a full disk again.
  static void past_first_probe() {
    std::this_thread::sleep_for(std::chrono::milliseconds(WriteRecovery::kFirstProbeDelayMs + 700));
  }

  ScratchDir dir_{"hookd-write-failure-test"};
  std::unique_ptr<Store> store_;
};

// What reached the disk after a failed write or fsync is unknown: the store refuses every later
// write for good (a sticky error), says so where /health reads it, and loses nothing it had
// acknowledged.
void expect_refusing_for_good(const Store& store, const WriteResult& failed) {
  EXPECT_EQ(failed.status, WriteStatus::kUnavailable);
  EXPECT_TRUE(contains(failed.detail, "commit failed"));
  EXPECT_FALSE(store.writable());
  EXPECT_TRUE(contains(store.write_refusal(), "refusing writes: commit failed"));
}

TEST_F(SqliteWriteFailureTest, AFailedWalWriteMakesTheStoreRefuseWritesForGood) {
  open(true);
  const auto ids = acknowledged(20);
  expect_refusing_for_good(*store_, write_under(sqlite::WalFault::kWriteError));
  const auto later = refused_or_not(insert());
  EXPECT_EQ(later.status, WriteStatus::kUnavailable);
  EXPECT_TRUE(contains(later.detail, "refusing writes"));
  past_first_probe();  // a full disk would have been probed, and writes accepted, by now
  EXPECT_FALSE(store_->writable());
  EXPECT_TRUE(contains(store_->write_refusal(), "refusing writes: commit failed"));
  EXPECT_EQ(refused_or_not(insert()).status, WriteStatus::kUnavailable);
  expect_kept(ids);
}

TEST_F(SqliteWriteFailureTest, AFailedFsyncMakesTheStoreRefuseWritesForGood) {
  open(true);
  const auto ids = acknowledged(20);
  expect_refusing_for_good(*store_, write_under(sqlite::WalFault::kSyncError));
  EXPECT_EQ(refused_or_not(insert()).status, WriteStatus::kUnavailable);
  past_first_probe();
  EXPECT_FALSE(store_->writable());
  EXPECT_TRUE(contains(store_->write_refusal(), "refusing writes: commit failed"));
  EXPECT_EQ(refused_or_not(insert()).status, WriteStatus::kUnavailable);
  EXPECT_EQ(refused_or_not(write::DeleteEndpoint{"ep_1"}).status, WriteStatus::kUnavailable);
  expect_kept(ids);
}

// Queued behind the failed commit: refused with it, never acknowledged.
TEST_F(SqliteWriteFailureTest, WritesQueuedBehindAFailedCommitAreRefused) {
  open(true);
  const auto ids = acknowledged(5);
  sqlite::inject_wal_fault(sqlite::WalFault::kSyncError);
  std::vector<std::future<WriteResult>> results;
  for (int i = 0; i < 200; ++i) {
    auto promise = std::make_shared<std::promise<WriteResult>>();
    results.push_back(promise->get_future());
    store_->write(insert(), [promise](const WriteResult& r) { promise->set_value(r); });
  }
  int refused = 0;
  for (auto& r : results) refused += r.get().status == WriteStatus::kUnavailable ? 1 : 0;
  EXPECT_GT(refused, 0);
  EXPECT_FALSE(store_->writable());
  // The writes acknowledged before the fault are all there; those of the failed commit and after
  // it were never acknowledged (the failed one may or may not have reached the WAL).
  expect_kept(ids);
}

// A full disk is the failure the store recovers from: SQLite rolled the commit back, so once a
// probe commit lands the store accepts writes again.
TEST_F(SqliteWriteFailureTest, AFullDiskRefusesWritesUntilAProbeCommitLands) {
  open(true);
  const auto ids = acknowledged(20);
  const WriteResult failed = write_under(sqlite::WalFault::kDiskFull);
  EXPECT_EQ(failed.status, WriteStatus::kUnavailable);
  EXPECT_FALSE(store_->writable());
  EXPECT_TRUE(contains(store_->write_refusal(), "until the disk has room"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!store_->writable() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(store_->writable()) << store_->write_refusal();
  EXPECT_EQ(store_->write_refusal(), "");
  auto after = acknowledged(3);
  after.insert(after.begin(), ids.begin(), ids.end());
  expect_kept(after);
}

}  // namespace
}  // namespace hookd
