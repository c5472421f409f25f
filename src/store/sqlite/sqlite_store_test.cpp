#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "common/ids.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite_db.h"

namespace hookd {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void TearDown() override { store_.reset(); }  // closed before the directory goes
  void open() {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    options.message_index_batch = message_index_batch_;
    options.message_index_chunk = message_index_chunk_;
    store_ = open_sqlite_store(options);
  }

  // Closes the store and opens it again, merging new messages into message_apps every `batch`,
  // `chunk` rows a commit.
  void reopen_with_message_index_batch(int batch, int chunk = SqliteOptions{}.message_index_chunk) {
    message_index_batch_ = batch;
    message_index_chunk_ = chunk;
    store_->close();
    open();
  }

  // The writer merges new messages into message_apps after a commit's acknowledgements: a
  // write queued behind it (here a prune that deletes nothing) returns once that is done.
  void settle() { ASSERT_EQ(store_->write_sync(write::Prune{0, 1}).affected, 0); }

  // One number from the open store's database file, once the writer is settled, read on a
  // connection of the test's own.
  int64_t query_int(const char* sql) {
    settle();
    return read_int(sql);
  }
  // The same without a commit first (one would carry a chunk of a merge under way).
  int64_t read_int(const char* sql) {
    sqlite::Connection db((dir_.path() / "hookd.db").string());
    sqlite::Statement st(db.handle(), sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.column_int(0);
  }

  // Every page of an application's message list, the way the API walks it.
  std::vector<std::string> listed_ids(const std::string& app, MessageFilter filter = {},
                                      int limit = 2) {
    std::vector<std::string> out;
    Page page{limit, ""};
    for (int pages = 0; pages < 100; ++pages) {
      const auto rows = store_->list_messages(app, filter, page);
      for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) {
        out.push_back(rows[i].id);
      }
      if (rows.size() <= static_cast<size_t>(limit)) break;
      page.iterator = rows[limit - 1].id;
    }
    return out;
  }

  static MessagePtr message(std::string app, std::string event_id = "") {
    auto m = std::make_shared<Message>();
    m->id = new_id("msg_");
    m->app_id = std::move(app);
    m->event_type = "a.b";
    m->event_id = std::move(event_id);
    m->payload = R"({"k":  "v"})";
    m->created_at = 1000;
    return m;
  }

  static std::shared_ptr<const std::vector<std::string>> ids(std::vector<std::string> list) {
    return std::make_shared<const std::vector<std::string>>(std::move(list));
  }

  ScratchDir dir_{"hookd-store-test"};
  int message_index_batch_ = SqliteOptions{}.message_index_batch;
  int message_index_chunk_ = SqliteOptions{}.message_index_chunk;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, CommittedMessagesSurviveReopenWithTheirDeliveries) {
  const auto m = message("app_1");
  ASSERT_EQ(store_->write_sync(write::InsertMessage{m, ids({"ep_1", "ep_2"})}).status,
            WriteStatus::kOk);
  store_->close();
  open();
  const auto read = store_->get_message("app_1", m->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->payload, m->payload);
  const auto pending = store_->pending_page(INT64_MAX, PendingCursor{}, 100);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].message->payload, m->payload);
  EXPECT_EQ(pending[0].message, pending[1].message);  // one message for its two deliveries
  EXPECT_EQ(pending[0].delivery.attempts, 0);
  EXPECT_TRUE(store_->pending_page(999, PendingCursor{}, 100).empty());  // not due before 1000
  const auto skipping = store_->pending_page(INT64_MAX, PendingCursor{}, 100, {"ep_1"});
  ASSERT_EQ(skipping.size(), 1u);
  EXPECT_EQ(skipping[0].delivery.endpoint_id, "ep_2");
}

TEST_F(SqliteStoreTest, CheckpointsKeepTheWalBoundedUnderSteadyWrites) {
  // About 48 MB of payloads written without a pause: the checkpoint thread copies the WAL
  // into the database file meanwhile, and the writer makes the WAL start over, so the WAL
  // file stays far below what was written (SQLite's own checkpoints are off on the writer).
  const std::string payload = "{\"p\":\"" + std::string(4000, 'x') + "\"}";
  const int kMessages = 12'000;
  std::atomic<int> done{0};
  for (int i = 0; i < kMessages; ++i) {
    auto m = std::make_shared<Message>(*message("app_1"));
    m->payload = payload;
    store_->write(write::InsertMessage{m, ids({"ep_1"})}, [&](const WriteResult& r) {
      EXPECT_EQ(r.status, WriteStatus::kOk);
      ++done;
    });
    if (i % 500 == 499) {
      while (done < i - 1000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  while (done < kMessages) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto wal = std::filesystem::file_size(dir_.path() / "hookd.db-wal");
  const auto db = std::filesystem::file_size(dir_.path() / "hookd.db");
  EXPECT_GT(db, 40u << 20) << "the pages were copied into the database file";
  EXPECT_LT(wal, 40u << 20) << "the WAL started over instead of holding everything";
  store_->close();
  open();
  EXPECT_EQ(store_->pending_page(INT64_MAX, PendingCursor{}, kMessages + 1).size(),
            static_cast<size_t>(kMessages));
}

TEST_F(SqliteStoreTest, DeletingAnEndpointDropsItsPendingDeliveriesOnly) {
  const auto m = message("app_1");
  ASSERT_EQ(store_->write_sync(write::InsertMessage{m, ids({"ep_1", "ep_2"})}).status,
            WriteStatus::kOk);
  ASSERT_EQ(store_->write_sync(write::DeleteEndpoint{"ep_1"}).status, WriteStatus::kOk);
  const auto pending = store_->pending_page(INT64_MAX, PendingCursor{}, 100);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].delivery.endpoint_id, "ep_2");
  EXPECT_EQ(store_->list_deliveries_of_message(m->id).size(), 1u);
}

TEST_F(SqliteStoreTest, DuplicateEventIdIsAConflictAndWritesNothing) {
  ASSERT_EQ(store_->write_sync(write::InsertMessage{message("app_1", "e1"), ids({"ep_1"})}).status,
            WriteStatus::kOk);
  const auto dup = message("app_1", "e1");
  const auto result = store_->write_sync(write::InsertMessage{dup, ids({"ep_1"})});
  EXPECT_EQ(result.status, WriteStatus::kConflict);
  EXPECT_NE(result.detail.find("eventId"), std::string::npos);
  EXPECT_FALSE(store_->get_message("app_1", dup->id));
  EXPECT_TRUE(store_->list_deliveries_of_message(dup->id).empty());
  // The same eventId in another application is another message.
  EXPECT_EQ(store_->write_sync(write::InsertMessage{message("app_2", "e1"), ids({})}).status,
            WriteStatus::kOk);
}

TEST_F(SqliteStoreTest, ConcurrentWritesAreGroupedAndAllAcknowledged) {
  constexpr int kWrites = 2000;
  std::atomic<int> ok{0};
  std::promise<void> all_done;
  std::atomic<int> remaining{kWrites};
  for (int i = 0; i < kWrites; ++i) {
    store_->write(write::InsertMessage{message("app_1"), ids({"ep_1"})}, [&](const WriteResult& r) {
      if (r.status == WriteStatus::kOk) ok.fetch_add(1);
      if (remaining.fetch_sub(1) == 1) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  EXPECT_EQ(ok.load(), kWrites);
  Page page;
  page.limit = 250;
  EXPECT_EQ(store_->list_messages("app_1", {}, page).size(), 251u);  // limit + 1: more follow
}

TEST_F(SqliteStoreTest, AttemptOutcomeUpdatesTheDelivery) {
  const auto m = message("app_1");
  ASSERT_EQ(store_->write_sync(write::InsertMessage{m, ids({"ep_1"})}).status, WriteStatus::kOk);
  write::RecordAttempt record;
  record.attempt = {new_id("atmpt_"),
                    m->id,
                    "ep_1",
                    "app_1",
                    "http://x/",
                    DeliveryStatus::kSuccess,
                    200,
                    "ok",
                    12,
                    TriggerType::kScheduled,
                    "none",
                    2000};
  record.delivery = {m->id, "ep_1", "app_1", DeliveryStatus::kSuccess, 1, 0, 2000};
  ASSERT_EQ(store_->write_sync(record).status, WriteStatus::kOk);
  const auto deliveries = store_->list_deliveries_of_message(m->id);
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].status, DeliveryStatus::kSuccess);
  EXPECT_TRUE(store_->pending_page(INT64_MAX, PendingCursor{}, 100).empty());
  AttemptFilter filter;
  filter.msg_id = m->id;
  const auto attempts = store_->list_attempts("app_1", filter, Page{});
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].status_code, 200);
  EXPECT_EQ(attempts[0].response, "ok");
}

TEST_F(SqliteStoreTest, PendingPagesWalkTheDueOrderWithoutGapsOrRepeats) {
  std::vector<std::string> created;
  for (int i = 0; i < 25; ++i) {
    auto m = message("app_1");
    created.push_back(m->id);
    ASSERT_EQ(store_->write_sync(write::InsertMessage{m, ids({"ep_1"})}).status, WriteStatus::kOk);
  }
  std::vector<std::string> seen;
  PendingCursor cursor;
  for (;;) {
    auto page = store_->pending_page(INT64_MAX, cursor, 7);
    if (page.empty()) break;
    for (const auto& p : page) seen.push_back(p.delivery.msg_id);
    const auto& last = page.back().delivery;
    cursor = {last.next_attempt_at, last.msg_id, last.endpoint_id};
  }
  EXPECT_EQ(seen, created);  // same due time: msg id order, which is creation order
}

TEST_F(SqliteStoreTest, WritesAfterCloseAreRefused) {
  store_->close();
  const auto result = store_->write_sync(write::InsertMessage{message("app_1"), ids({})});
  EXPECT_EQ(result.status, WriteStatus::kUnavailable);
  EXPECT_FALSE(store_->writable());
}

// A message created at `created_at` (unix ms), with an id made at that time.
MessagePtr message_at(const std::string& app, int64_t created_at, const std::string& type) {
  auto m = std::make_shared<Message>();
  m->id = make_id("msg_", created_at, 0, static_cast<uint64_t>(created_at));
  m->app_id = app;
  m->event_type = type;
  m->payload = "{}";
  m->created_at = created_at;
  return m;
}

write::RecordAttempt failed_attempt(const MessagePtr& m, const std::string& endpoint, int64_t at) {
  write::RecordAttempt r;
  r.attempt.id = make_id("atmpt_", at, 0, static_cast<uint64_t>(at));
  r.attempt.msg_id = m->id;
  r.attempt.endpoint_id = endpoint;
  r.attempt.app_id = m->app_id;
  r.attempt.url = "http://x";
  r.attempt.created_at = at;
  r.delivery = {m->id, endpoint, m->app_id, DeliveryStatus::kFailed, 1, 0, at};
  return r;
}

TEST_F(SqliteStoreTest, FailedDeliveriesAreSelectedByWindowEndpointAndType) {
  const int64_t t0 = 1'700'000'000'000;
  std::vector<MessagePtr> messages;
  for (int i = 0; i < 6; ++i) {
    auto m = message_at("app_1", t0 + i * 60'000, i % 2 ? "odd" : "even");
    ASSERT_EQ(store_->write_sync(write::InsertMessage{m, ids({"ep_1", "ep_2"})}).status,
              WriteStatus::kOk);
    // ep_1 fails every delivery; ep_2 only message 0's.
    ASSERT_EQ(store_->write_sync(failed_attempt(m, "ep_1", t0 + i * 60'000 + 5)).status,
              WriteStatus::kOk);
    if (i == 0) {
      ASSERT_EQ(store_->write_sync(failed_attempt(m, "ep_2", t0 + 6)).status, WriteStatus::kOk);
    }
    messages.push_back(m);
  }
  auto window = store_->failed_deliveries("app_1", "ep_1", {}, t0 + 60'000, t0 + 4 * 60'000, 100);
  ASSERT_EQ(window.size(), 3u);  // messages 1, 2, 3
  EXPECT_EQ(window[0].message->id, messages[1]->id);
  EXPECT_EQ(window[2].message->id, messages[3]->id);
  auto odd = store_->failed_deliveries("app_1", "", {"odd"}, 0, t0 + 3'600'000, 100);
  ASSERT_EQ(odd.size(), 3u);  // messages 1, 3, 5 on ep_1
  for (const auto& row : odd) EXPECT_EQ(row.message->event_type, "odd");
  auto all = store_->failed_deliveries("app_1", "", {}, 0, t0 + 3'600'000, 100);
  EXPECT_EQ(all.size(), 7u);  // six on ep_1, one on ep_2
  EXPECT_TRUE(store_->failed_deliveries("app_2", "", {}, 0, t0 + 3'600'000, 100).empty());
}

TEST_F(SqliteStoreTest, PruneDeletesOldMessagesAndAttemptsInBatches) {
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i < 5; ++i) {
    auto m = message_at("app_1", t0 + i, "a.b");
    store_->write_sync(write::InsertMessage{m, ids({"ep_1"})});
    store_->write_sync(failed_attempt(m, "ep_1", t0 + i));
  }
  auto recent = message_at("app_1", t0 + 10'000, "a.b");
  store_->write_sync(write::InsertMessage{recent, ids({"ep_1"})});
  store_->write_sync(failed_attempt(recent, "ep_1", t0 + 10'000));

  const WriteResult first = store_->write_sync(write::Prune{t0 + 5'000, 3});
  EXPECT_EQ(first.affected, 3);
  const WriteResult second = store_->write_sync(write::Prune{t0 + 5'000, 3});
  EXPECT_EQ(second.affected, 2);
  EXPECT_EQ(store_->write_sync(write::Prune{t0 + 5'000, 3}).affected, 0);
  EXPECT_TRUE(store_->list_messages("app_1", {}, Page{50, ""}).size() == 1);
  EXPECT_TRUE(store_->get_message("app_1", recent->id).has_value());
  EXPECT_EQ(store_->list_attempts("app_1", {}, Page{50, ""}).size(), 1u);
  EXPECT_EQ(store_->list_deliveries_of_message(recent->id).size(), 1u);
}

// Inserts `count` messages one commit each, alternating between the given applications, created
// at `first`, `first` + 1, ..., with event types "even" and "odd" by position; returns each
// application's ids, newest first.
std::map<std::string, std::vector<std::string>> insert_alternating(
    Store& store, const std::vector<std::string>& apps, int count, int64_t first = 1000) {
  std::map<std::string, std::vector<std::string>> ids;
  for (int i = 0; i < count; ++i) {
    const std::string& app = apps[static_cast<size_t>(i) % apps.size()];
    auto m = message_at(app, first + i, i % 2 ? "odd" : "even");
    EXPECT_EQ(
        store
            .write_sync(write::InsertMessage{m, std::make_shared<const std::vector<std::string>>(
                                                    std::vector<std::string>{"ep_1"})})
            .status,
        WriteStatus::kOk);
    ids[app].insert(ids[app].begin(), m->id);
  }
  return ids;
}

TEST_F(SqliteStoreTest, ListingJoinsMergedAndNotYetMergedMessages) {
  reopen_with_message_index_batch(4);
  auto expected = insert_alternating(*store_, {"app_1", "app_2", "app_3"}, 30);
  // Merged after every fourth message: 28 are in message_apps, the last 2 only in the table.
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 28);
  for (const auto& [app, ids] : expected) {
    EXPECT_EQ(listed_ids(app), ids) << app;
    EXPECT_EQ(listed_ids(app, {}, 50), ids) << app;
  }
  // The newest message of app_1 (unmerged) and an older one (merged), each found by id.
  EXPECT_TRUE(store_->get_message("app_1", expected["app_1"].front()).has_value());
  EXPECT_TRUE(store_->get_message("app_1", expected["app_1"].back()).has_value());
  EXPECT_FALSE(store_->get_message("app_2", expected["app_1"].back()).has_value())
      << "a message is found only in its own application";
  // Filtered by event type: app_1 got positions 0, 3, 6, ...; "odd" ones are 3, 9, 15, 21, 27.
  MessageFilter odd;
  odd.event_types = {"odd"};
  const auto listed_odd = listed_ids("app_1", odd);
  ASSERT_EQ(listed_odd.size(), 5u);
  for (const auto& id : listed_odd) EXPECT_EQ(store_->get_message("app_1", id)->event_type, "odd");
}

// A merge of 6 rows, 2 a commit: its first chunk commits on its own, the others with the next
// commits (query_int's settle is one). Until the last, its rows are both in message_apps and
// above the mark, and listing shows each message once.
TEST_F(SqliteStoreTest, AMergeSpreadOverCommitsListsEveryMessageOnce) {
  reopen_with_message_index_batch(6, 2);
  auto expected = insert_alternating(*store_, {"app_1", "app_2", "app_3"}, 6);
  const char* mark = "SELECT value FROM store_meta WHERE key = 'message_apps_rowid'";
  EXPECT_EQ(query_int(mark), 0);  // two chunks in, the mark has not moved
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 6);  // the third chunk ended it
  for (const auto& [app, ids] : expected) EXPECT_EQ(listed_ids(app), ids) << app;
  EXPECT_EQ(query_int(mark), 6);

  auto more = insert_alternating(*store_, {"app_1", "app_2", "app_3"}, 6, 2000);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 10);
  for (auto& [app, ids] : more) {
    ids.insert(ids.end(), expected[app].begin(), expected[app].end());
    EXPECT_EQ(listed_ids(app), ids) << app << ": listed mid-merge";
    EXPECT_EQ(listed_ids(app, {}, 50), ids) << app << ": listed mid-merge, one page";
  }
  EXPECT_EQ(read_int(mark), 6);  // the merge of the 6 new ones has one chunk to go
  EXPECT_EQ(query_int(mark), 12);
  for (const auto& [app, ids] : more) EXPECT_EQ(listed_ids(app), ids) << app;
}

// Messages deleted while a merge is under way: the merge stops (its rows may name them), and a
// later one reads what is above the mark from the table again.
TEST_F(SqliteStoreTest, DeletingMessagesDuringAMergeLeavesNoRowOfThemInTheIndex) {
  reopen_with_message_index_batch(4, 1);
  auto first = insert_alternating(*store_, {"app_1", "app_2"}, 4);  // the merge's first row
  ASSERT_EQ(store_->write_sync(write::DeleteApplication{"app_1"}).status, WriteStatus::kOk);
  auto later = insert_alternating(*store_, {"app_2"}, 4, 2000);  // a new merge of app_2's 6
  for (int i = 0; i < 6; ++i) settle();
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps WHERE app_id = 'app_1'"), 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps WHERE app_id = 'app_2'"), 6);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps x LEFT JOIN messages m ON m.id = x.id "
                      "WHERE m.id IS NULL"),
            0);
  EXPECT_EQ(query_int("SELECT value FROM store_meta WHERE key = 'message_apps_rowid'"),
            query_int("SELECT max(rowid) FROM messages"));
  EXPECT_TRUE(listed_ids("app_1").empty());
  auto all = later["app_2"];
  all.insert(all.end(), first["app_2"].begin(), first["app_2"].end());
  EXPECT_EQ(listed_ids("app_2"), all);
}

// Retention deletes the oldest messages, below the rows a merge holds: the merge goes on.
TEST_F(SqliteStoreTest, PruningOlderMessagesDoesNotStopAMerge) {
  reopen_with_message_index_batch(3, 1);
  insert_alternating(*store_, {"app_1"}, 3, 1000);  // rowids 1-3, merged by the next 2 commits
  const char* mark = "SELECT value FROM store_meta WHERE key = 'message_apps_rowid'";
  EXPECT_EQ(query_int(mark), 0);                                 // the merge's second row
  ASSERT_EQ(query_int(mark), 3);                                 // and its last
  auto later = insert_alternating(*store_, {"app_1"}, 3, 2000);  // rowids 4-6; 1 row merged
  // Deletes rowids 1 and 2 and carries the merge's second row; the settle carries its last.
  EXPECT_EQ(store_->write_sync(write::Prune{1002, 100}).affected, 2);
  EXPECT_EQ(query_int(mark), 6);
  EXPECT_EQ(read_int("SELECT count(*) FROM message_apps"), 4);
  auto ids = later["app_1"];
  ids.push_back(make_id("msg_", 1002, 0, 1002));
  EXPECT_EQ(listed_ids("app_1"), ids);
}

// Commits of many messages each: every commit merges twice as many rows as it adds, so the
// rows above the mark stay few instead of growing with each merge.
TEST_F(SqliteStoreTest, MergesKeepUpWithCommitsOfManyMessages) {
  reopen_with_message_index_batch(4, 1);
  const char* above =
      "SELECT count(*) FROM messages WHERE rowid > "
      "(SELECT value FROM store_meta WHERE key = 'message_apps_rowid')";
  int64_t created = 1000;
  int64_t most_above = 0;
  for (int wave = 0; wave < 12; ++wave) {
    std::vector<std::future<WriteResult>> done;
    for (int i = 0; i < 40; ++i) {
      auto promise = std::make_shared<std::promise<WriteResult>>();
      done.push_back(promise->get_future());
      store_->write(
          write::InsertMessage{message_at(wave % 2 ? "app_1" : "app_2", created++, "even"),
                               ids({"ep_1"})},
          [promise](const WriteResult& r) { promise->set_value(r); });
    }
    for (auto& f : done) ASSERT_EQ(f.get().status, WriteStatus::kOk);
    most_above = std::max(most_above, query_int(above));
  }
  EXPECT_LE(most_above, 2 * 40 + 4) << "the rows above the mark grew with each merge";
  EXPECT_EQ(listed_ids("app_1", {}, 250).size() + listed_ids("app_2", {}, 250).size(), 480u);
}

TEST_F(SqliteStoreTest, MessagesNotYetMergedAreListedAfterReopenAndMergedLater) {
  reopen_with_message_index_batch(3);
  auto first = insert_alternating(*store_, {"app_1"}, 2);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 0);
  store_->close();
  open();
  EXPECT_EQ(listed_ids("app_1"), first["app_1"]);
  auto third = insert_alternating(*store_, {"app_1"}, 1, 2000);
  // The two from before the reopen count towards the batch.
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 3);
  auto all = third["app_1"];
  all.insert(all.end(), first["app_1"].begin(), first["app_1"].end());
  EXPECT_EQ(listed_ids("app_1"), all);
}

TEST_F(SqliteStoreTest, MessagesAfterDeletingTheNewestAreStillListed) {
  reopen_with_message_index_batch(2);
  insert_alternating(*store_, {"app_1"}, 4);  // all merged
  ASSERT_EQ(store_->write_sync(write::DeleteApplication{"app_1"}).status, WriteStatus::kOk);
  EXPECT_TRUE(listed_ids("app_1").empty());
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 0);
  // SQLite reuses the deleted rowids: the new message must still count as not yet merged.
  auto later = insert_alternating(*store_, {"app_2"}, 1, 2000);
  EXPECT_EQ(listed_ids("app_2"), later["app_2"]);
}

TEST_F(SqliteStoreTest, PruningRemovesMessagesFromTheApplicationIndex) {
  reopen_with_message_index_batch(1);
  auto ids = insert_alternating(*store_, {"app_1"}, 5);  // created_at 1000 .. 1004
  EXPECT_EQ(store_->write_sync(write::Prune{1003, 100}).affected, 3);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 2);
  EXPECT_EQ(listed_ids("app_1"),
            std::vector<std::string>(ids["app_1"].begin(), ids["app_1"].begin() + 2));
}

TEST_F(SqliteStoreTest, AStoreIndexedTheOldWayIsMigratedOnOpen) {
  auto ids = insert_alternating(*store_, {"app_1", "app_2"}, 6);
  store_->close();
  store_.reset();
  {
    // The layout before message_apps: one (app_id, id) index on the messages table.
    sqlite::Connection db((dir_.path() / "hookd.db").string());
    db.exec(
        "DROP TABLE message_apps; DROP TABLE store_meta; DROP INDEX messages_id; "
        "CREATE UNIQUE INDEX messages_app ON messages (app_id, id)");
  }
  open();
  EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_master WHERE name = 'messages_app'"), 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM message_apps"), 6);
  EXPECT_EQ(listed_ids("app_1"), ids["app_1"]);
  EXPECT_EQ(listed_ids("app_2"), ids["app_2"]);
  EXPECT_EQ(store_->pending_page(INT64_MAX, PendingCursor{}, 100).size(), 6u);
  auto later = insert_alternating(*store_, {"app_1"}, 1, 2000);
  EXPECT_EQ(listed_ids("app_1").front(), later["app_1"].front());
}

}  // namespace
}  // namespace hookd
