// The SQLite store: one writer thread that group-commits every queued write in one fsync'd
// transaction, and a small pool of reader connections (WAL lets them read while it writes).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <pthread.h>

#include "common/ids.h"
#include "common/time.h"
#include "store/documents.h"
#include "store/inbound_rows.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/wal_buffer.h"
#include "store/write_recovery.h"

namespace hookd {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS applications (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_types (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
-- Message ids are unique across applications and sort by time, so their index grows at its
-- end; eventIds are indexed only where present. Fewer indexes, fewer B-tree writes per message.
CREATE TABLE IF NOT EXISTS messages (
  id TEXT NOT NULL, app_id TEXT NOT NULL, event_type TEXT NOT NULL, event_id TEXT,
  channels TEXT, payload BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS messages_id ON messages (id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_event_id ON messages (app_id, event_id)
  WHERE event_id IS NOT NULL;
-- An application's messages by id, for listing. Inserted one by one, with many applications
-- each insert would land on a page of its own and every commit would write them all to the WAL;
-- so new messages are added in batches sorted by application (merge_message_index), and until
-- then listing reads them from the messages whose rowid is above message_apps_rowid.
CREATE TABLE IF NOT EXISTS message_apps (
  app_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (app_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('message_apps_rowid', 0);
CREATE TABLE IF NOT EXISTS deliveries (
  msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  status INTEGER NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (msg_id, endpoint_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_attempt_at) WHERE status = 1;
-- No index by endpoint: with many endpoints its inserts land on a different page each, and
-- every page a commit touches is written to the WAL. Deleting an endpoint deletes its pending
-- deliveries through deliveries_pending; its history stays until retention prunes it.
DROP INDEX IF EXISTS deliveries_endpoint;
CREATE TABLE IF NOT EXISTS attempts (
  id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  url TEXT NOT NULL, status INTEGER NOT NULL, status_code INTEGER NOT NULL, response TEXT NOT NULL,
  duration_ms INTEGER NOT NULL, trigger_type INTEGER NOT NULL, error_class TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_msg ON attempts (msg_id, id);
CREATE INDEX IF NOT EXISTS attempts_endpoint ON attempts (endpoint_id, id);
CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound_events (
  id TEXT NOT NULL, source_id TEXT NOT NULL, event_key TEXT, customer_id TEXT, name TEXT,
  score INTEGER, ts TEXT, localtime TEXT, occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL, revision INTEGER NOT NULL, content_type TEXT NOT NULL,
  payload BLOB NOT NULL, message_id TEXT, PRIMARY KEY (source_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS inbound_events_key ON inbound_events (source_id, event_key)
  WHERE event_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbound_events_customer
  ON inbound_events (source_id, customer_id, occurred_at);
CREATE TABLE IF NOT EXISTS inbound_rejections (
  id TEXT PRIMARY KEY, source_id TEXT NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL,
  received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inbound_rejections_source ON inbound_rejections (source_id, id);
)sql";

void configure(Connection& db) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=OFF");
  db.exec("PRAGMA cache_size=-65536");
}

// The messages not yet in message_apps: those above the mark (see the schema), read by rowid
// range (NOT INDEXED: otherwise SQLite may walk the whole id index to avoid a sort).
const std::string kUnmergedMessages =
    "messages NOT INDEXED WHERE rowid > (SELECT value FROM store_meta WHERE key = "
    "'message_apps_rowid')";
// Adds the unmerged messages to message_apps, sorted by application so that each application's
// pages are written once per batch.
const std::string kMergeMessageIndex =
    "INSERT OR IGNORE INTO message_apps (app_id, id) SELECT "
    "app_id, id FROM " +
    kUnmergedMessages + " ORDER BY app_id, id";
// message_apps holds every message up to this rowid.
constexpr const char* kMarkMessageIndex =
    "UPDATE store_meta SET value = (SELECT coalesce(max(rowid), 0) FROM messages) "
    "WHERE key = 'message_apps_rowid'";
// After messages are deleted: SQLite gives a new row the highest rowid plus one, so once the
// newest rows are gone a new message could get a rowid at or below the mark, and listing would
// never see it. Lowering the mark to the highest rowid left keeps every new row above it.
constexpr const char* kLowerMessageIndexMark =
    "UPDATE store_meta SET value = min(value, (SELECT coalesce(max(rowid), 0) FROM messages)) "
    "WHERE key = 'message_apps_rowid'";

// Stores written before message_apps existed indexed (app_id, id) on the messages table itself:
// fill message_apps from the table once (the mark starts at 0, so every message is unmerged)
// and drop that index.
void migrate_message_index(Connection& db) {
  {
    Statement old(db.handle(),
                  "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'messages_app'");
    if (!old.step()) return;
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(kMergeMessageIndex.c_str());
    db.exec(kMarkMessageIndex);
    db.exec("DROP INDEX messages_app");
    db.exec("COMMIT");
  } catch (const sqlite::Error&) {
    db.exec("ROLLBACK");
    throw;
  }
  spdlog::info("store: messages indexed by application in message_apps");
}

// Prepared statements of the writer connection.
struct WriterStatements {
  explicit WriterStatements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        put_app(db, "INSERT OR REPLACE INTO applications (id, doc) VALUES (?1, ?2)"),
        put_event_type(db, "INSERT OR REPLACE INTO event_types (name, doc) VALUES (?1, ?2)"),
        put_endpoint(db, "INSERT OR REPLACE INTO endpoints (id, app_id, doc) VALUES (?1, ?2, ?3)"),
        insert_message(db,
                       "INSERT INTO messages (id, app_id, event_type, event_id, channels, "
                       "payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                       "ON CONFLICT DO NOTHING"),
        insert_delivery(db,
                        "INSERT OR REPLACE INTO deliveries (msg_id, endpoint_id, app_id, status, "
                        "attempts, next_attempt_at, updated_at) VALUES (?1, ?2, ?3, 1, 0, ?4, ?4)"),
        update_delivery(db,
                        "UPDATE deliveries SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
                        "updated_at = ?6 WHERE msg_id = ?1 AND endpoint_id = ?2"),
        insert_attempt(db,
                       "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, "
                       "status_code, response, duration_ms, trigger_type, error_class, "
                       "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        upsert_inbound(db,
                       "INSERT INTO inbound_events (id, source_id, event_key, customer_id, name, "
                       "score, ts, localtime, occurred_at, received_at, revision, content_type, "
                       "payload, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, "
                       "?11, ?12, ?13) ON CONFLICT (source_id, event_key) WHERE event_key IS NOT "
                       "NULL DO UPDATE SET customer_id = excluded.customer_id, name = "
                       "excluded.name, score = excluded.score, ts = excluded.ts, localtime = "
                       "excluded.localtime, occurred_at = excluded.occurred_at, received_at = "
                       "excluded.received_at, revision = revision + 1, content_type = "
                       "excluded.content_type, payload = excluded.payload, message_id = "
                       "excluded.message_id RETURNING id, revision"),
        inbound_by_key(db,
                       "SELECT id, revision FROM inbound_events WHERE source_id = ?1 AND "
                       "event_key = ?2"),
        index_message(db, "INSERT OR IGNORE INTO message_apps (app_id, id) VALUES (?1, ?2)"),
        set_message_index_mark(db,
                               "UPDATE store_meta SET value = ?1 WHERE key = 'message_apps_rowid'"),
        lower_message_index_mark(db, kLowerMessageIndexMark),
        savepoint(db, "SAVEPOINT merge"),
        release(db, "RELEASE merge"),
        rollback_to(db, "ROLLBACK TO merge") {}

  Statement begin, commit, rollback;
  Statement put_app, put_event_type, put_endpoint;
  Statement insert_message, insert_delivery, update_delivery, insert_attempt;
  Statement upsert_inbound, inbound_by_key;
  Statement index_message, set_message_index_mark, lower_message_index_mark;
  Statement savepoint, release, rollback_to;
};

// Writes that nobody waits on: an attempt's record (its delivery is held in memory until the
// record commits) and retention pruning. They may wait up to kGatherWindow for company; every
// other write (a message, an API change) ends the wait at once.
bool is_background(const WriteOp& op) {
  return std::holds_alternative<write::RecordAttempt>(op) ||
         std::holds_alternative<write::Prune>(op);
}
constexpr int kCheckpointPages = 250;         // new WAL pages between two checkpoint requests
constexpr int kWriterCheckpointPages = 8000;  // about 32 MB of WAL
// A commit writes every page it touched, and attempts land on a page per endpoint (the
// attempts_endpoint index) and per message: the more attempts share a commit, the fewer pages
// each one costs. 16 ms rather than 4 ms halved the checkpoint thread's work per delivery with
// 100 endpoints and took a sixth off the writer's in a drain (docs/storage-sqlite.md).
constexpr size_t kGatherWrites = 2048;
constexpr auto kGatherWindow = std::chrono::milliseconds(16);

struct QueuedWrite {
  WriteOp op;
  WriteCallback done;
};

// Shared across threads: the writer thread, API worker threads (reads) and delivery threads.
class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const SqliteOptions& options) : options_(options) {
    // The writer's WAL writes go out as one write per commit (store/wal_buffer.h); safe because
    // configure() sets synchronous=FULL, so every commit syncs the WAL before publishing it.
    writer_db_ = std::make_unique<Connection>(options.path, sqlite::wal_buffer_vfs());
    // Extended codes tell a WAL index that could not grow (a full disk) from other I/O errors.
    sqlite3_extended_result_codes(writer_db_->handle(), 1);
    configure(*writer_db_);
    writer_db_->exec(kSchema);
    writer_db_->exec(inbound_rows::kSchema);
    migrate_message_index(*writer_db_);
    {
      Statement unmerged(writer_db_->handle(), "SELECT count(*) FROM " + kUnmergedMessages);
      unmerged.step();
      unmerged_messages_ = unmerged.column_int(0);
      // Rows from before this start are above the mark: the first merge reads them.
      unmerged_complete_ = unmerged_messages_ == 0;
    }
    // Checkpoints run on their own thread and connection (checkpoint_loop), so a commit never
    // waits for WAL frames to be copied into the database file and that file's fsync, as it
    // does when SQLite checkpoints automatically at the end of a commit.
    writer_db_->exec("PRAGMA wal_autocheckpoint=0");
    sqlite3_wal_hook(writer_db_->handle(), &SqliteStore::on_wal_commit, this);
    statements_ = std::make_unique<WriterStatements>(writer_db_->handle());
    rejection_log_ = std::make_unique<inbound_rows::RejectionLog>(writer_db_->handle(),
                                                                  options.rejection_sample);
    for (int i = 0; i < options.reader_connections; ++i) {
      auto reader = std::make_unique<Connection>(options.path);
      reader->exec("PRAGMA cache_size=-16384");
      idle_readers_.push_back(std::move(reader));
    }
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "hookd-writer");
      writer_loop();
    });
    checkpointer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "hookd-checkpt");
      checkpoint_loop();
    });
  }

  ~SqliteStore() override { close(); }

  void write(WriteOp op, WriteCallback done) override {
    {
      std::lock_guard lock(mu_);
      if (!closing_ && !failed_ && queue_.size() < options_.max_queued_writes) {
        const bool foreground = !is_background(op);
        queue_.push_back({std::move(op), std::move(done)});
        if (foreground) ++foreground_queued_;
        // A busy writer looks at the queue when its commit ends; a gathering one wants only
        // what ends the gathering. Every other write would be a futex call for nothing.
        if (writer_state_ == WriterState::kIdle ||
            (writer_state_ == WriterState::kGathering &&
             (foreground || queue_.size() >= kGatherWrites))) {
          cv_.notify_one();
        }
        return;
      }
    }
    if (done) {
      std::string why = "the store's write queue is full";
      {
        std::lock_guard lock(mu_);
        if (failed_) why = refusal_;
        if (closing_) why = "the store is closed";
      }
      done({WriteStatus::kUnavailable, why});
    }
  }

  bool writable() const override { return accepting_.load(std::memory_order_acquire); }

  std::string write_refusal() const override {
    std::lock_guard lock(mu_);
    if (failed_) return refusal_;
    return closing_ ? "the store is closed" : "";
  }

  uint64_t commit_sequence() const override { return commits_.load(std::memory_order_acquire); }

  size_t write_queue_depth() const override {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;
      closing_ = true;
      accepting_.store(false, std::memory_order_release);
      cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
      checkpoint_cv_.notify_one();
    }
    if (checkpointer_.joinable()) checkpointer_.join();
  }

  CatalogSnapshot load_catalog() override;
  std::vector<Message> list_messages(const std::string& app_id, const MessageFilter& filter,
                                     const Page& page) override;
  std::optional<Message> get_message(const std::string& app_id, const std::string& msg_id) override;
  std::vector<Attempt> list_attempts(const std::string& app_id, const AttemptFilter& filter,
                                     const Page& page) override;
  std::optional<Attempt> get_attempt(const std::string& app_id,
                                     const std::string& attempt_id) override;
  std::vector<Delivery> list_deliveries_of_message(const std::string& msg_id) override;
  std::vector<PendingDelivery> pending_page(
      int64_t due_before, const PendingCursor& after, int limit,
      const std::vector<std::string>& skip_endpoints) override;
  std::vector<InboundEvent> list_inbound_events(const std::string& source_id,
                                                const InboundEventFilter& filter,
                                                const Page& page) override;
  std::optional<InboundEvent> get_inbound_event(const std::string& source_id,
                                                const std::string& id_or_key) override;
  std::vector<CustomerSummary> customer_summaries(const std::string& source_id,
                                                  const std::string& customer_id,
                                                  const Page& page) override;
  std::vector<InboundRejection> list_rejections(const std::string& source_id,
                                                const Page& page) override;
  std::vector<RejectionCount> rejection_counts(const std::string& source_id) override;
  std::vector<PendingDelivery> failed_deliveries(const std::string& app_id,
                                                 const std::string& endpoint_id,
                                                 const std::vector<std::string>& event_types,
                                                 int64_t since, int64_t until, int limit) override;

 private:
  // A reader connection checked out for the lifetime of this object.
  class ReaderLease final {
   public:
    explicit ReaderLease(SqliteStore& store) : store_(store) {
      std::unique_lock lock(store_.readers_mu_);
      store_.readers_cv_.wait(lock, [&] { return !store_.idle_readers_.empty(); });
      conn_ = std::move(store_.idle_readers_.back());
      store_.idle_readers_.pop_back();
    }
    ~ReaderLease() {
      std::lock_guard lock(store_.readers_mu_);
      store_.idle_readers_.push_back(std::move(conn_));
      store_.readers_cv_.notify_one();
    }
    sqlite3* operator*() const { return conn_->handle(); }
    sqlite::Connection& connection() const { return *conn_; }

   private:
    SqliteStore& store_;
    std::unique_ptr<Connection> conn_;
  };

  void writer_loop();
  // After a failed commit: refuses every queued and later write.
  void refuse_writes();
  // While the store refuses writes: probes the disk when due (docs/failures.md). Returns false
  // when the store closes first.
  bool await_recovery();
  // Called by SQLite on the writer thread after each commit, with the WAL's size in pages.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void checkpoint_loop();
  void apply(const WriteOp& op, WriteResult& result);
  void insert_message(const write::InsertMessage& w, WriteResult& result);
  void upsert_inbound(const write::UpsertInboundEvent& w, WriteResult& result);
  int64_t prune(const write::Prune& w);
  void start_merge();
  size_t merge_chunk();
  void merge_settled(bool committed, size_t chunk_rows);
  int64_t lowest_held_rowid() const;
  bool commit_batch(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results);

  // Constant after construction.
  const SqliteOptions options_;
  std::unique_ptr<Connection> writer_db_;                      // used by the writer thread only
  std::unique_ptr<WriterStatements> statements_;               // used by the writer thread only
  std::unique_ptr<inbound_rows::RejectionLog> rejection_log_;  // used by the writer thread only
  // The per-application index (message_apps; see the schema). Writer thread only.
  struct IndexRow {
    int64_t rowid;
    std::string app_id, id;
  };
  int64_t unmerged_messages_ = 0;        // committed since the last merge started
  std::vector<IndexRow> batch_rows_;     // inserted by the open transaction
  std::vector<IndexRow> unmerged_rows_;  // committed since the last merge started...
  bool unmerged_complete_ = true;        // ...and all of them (false: read them from the table)
  std::vector<IndexRow> merging_;        // the merge under way, sorted by (app_id, id)
  size_t merged_ = 0;                    // how many of merging_ are committed
  int64_t merging_mark_ = 0;             // the highest rowid merging_ covers
  bool merge_invalidated_ = false;       // messages were deleted: start the merge over
  std::thread writer_;

  // What the writer thread is doing, so that writers wake it only when it needs waking.
  enum class WriterState { kBusy, kIdle, kGathering };

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<QueuedWrite> queue_;
  size_t foreground_queued_ = 0;  // queued writes someone waits on (not attempt records)
  WriterState writer_state_ = WriterState::kBusy;
  bool closing_ = false;
  bool failed_ = false;                // set once a commit fails; cleared when a probe commit lands
  std::string refusal_;                // why writes are refused while failed_
  std::atomic<bool> accepting_{true};  // !failed_ && !closing_, readable without mu_
  // Writer thread only: the last failed commit, and when to try again.
  WriteRecovery recovery_;
  int failure_code_ = 0;
  std::string failure_detail_;
  std::atomic<uint64_t> commits_{0};

  // The WAL's size after the last commit: written by the writer thread, read by the checkpoint
  // thread.
  std::atomic<int> wal_pages_{0};
  int checkpoint_mark_ = 0;  // the WAL's size when a checkpoint was last asked for; writer only
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;    // guarded by checkpoint_mu_

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  // Guarded by readers_mu_.
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

int SqliteStore::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* store = static_cast<SqliteStore*>(self);
  store->wal_pages_.store(pages, std::memory_order_relaxed);
  if (pages < store->checkpoint_mark_) store->checkpoint_mark_ = 0;  // the WAL started over
  // One checkpoint per kCheckpointPages new pages, not one per commit once the WAL is that
  // large: each checkpoint ends with an fsync of the database file.
  if (pages - store->checkpoint_mark_ >= kCheckpointPages) {
    store->checkpoint_mark_ = pages;
    std::lock_guard lock(store->checkpoint_mu_);
    if (!store->checkpoint_wanted_) {
      store->checkpoint_wanted_ = true;
      store->checkpoint_cv_.notify_one();
    }
  }
  return SQLITE_OK;
}

void SqliteStore::checkpoint_loop() {
  std::unique_ptr<Connection> connection;
  try {
    connection = std::make_unique<Connection>(options_.path);
    // The database file is fsync'd before the WAL is reused.
    connection->exec("PRAGMA synchronous=FULL");
  } catch (const sqlite::Error& e) {
    // The writer's own checkpoints (every kWriterCheckpointPages) still bound the WAL.
    spdlog::error("store: no checkpoint thread: {}", e.what());
    return;
  }
  Connection& db = *connection;
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait_for(lock, std::chrono::seconds(1),
                              [&] { return checkpoint_wanted_ || checkpoint_stop_; });
      if (checkpoint_stop_) return;
      checkpoint_wanted_ = false;
    }
    // Near the writer's threshold the writer copies the rest itself: a checkpoint running here
    // then would make the writer's fail (one checkpoint at a time) and the WAL grow past it.
    if (wal_pages_.load(std::memory_order_relaxed) >= kWriterCheckpointPages - kCheckpointPages) {
      continue;
    }
    // PASSIVE: copies what no reader still needs, never blocks the writer or the readers.
    const int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("store: checkpoint failed: {}", sqlite3_errmsg(db.handle()));
    }
  }
}

void SqliteStore::writer_loop() {
  std::vector<QueuedWrite> batch;
  std::vector<WriteResult> results;
  for (;;) {
    if (recovery_.refusing() && !await_recovery()) return;
    {
      std::unique_lock lock(mu_);
      writer_state_ = WriterState::kIdle;
      cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      if (foreground_queued_ == 0 && queue_.size() < kGatherWrites && !closing_) {
        // Only attempt records, which nobody waits on: give them a moment to gather, so that
        // a commit's pages and its fsync serve many deliveries instead of a few.
        writer_state_ = WriterState::kGathering;
        cv_.wait_for(lock, kGatherWindow, [&] {
          return closing_ || foreground_queued_ > 0 || queue_.size() >= kGatherWrites;
        });
      }
      writer_state_ = WriterState::kBusy;
      // Everything queued so far shares this transaction.
      const size_t take = std::min<size_t>(queue_.size(), 4096);
      batch.clear();
      for (size_t i = 0; i < take; ++i) {
        if (!is_background(queue_.front().op)) --foreground_queued_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    results.assign(batch.size(), WriteResult{});
    const bool ok = commit_batch(batch, results);
    commits_.fetch_add(1, std::memory_order_release);
    if (wal_pages_.load(std::memory_order_relaxed) >= kWriterCheckpointPages) {
      // Under steady writes the checkpoint thread never catches up with the WAL's end, and a
      // WAL starts over only once it was copied to its end: the writer copies the last stretch
      // (what the checkpoint thread has not) between two commits, so the WAL stays bounded.
      sqlite3_wal_checkpoint_v2(writer_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                nullptr);
      wal_pages_.store(0, std::memory_order_relaxed);
    }
    if (!ok) refuse_writes();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(results[i]);
    }
    // After the callbacks, so that no acknowledgement waits for it.
    if (ok && merging_.empty() && unmerged_messages_ >= options_.message_index_batch) {
      start_merge();
    }
  }
}

void SqliteStore::refuse_writes() {
  const bool recoverable = WriteRecovery::recoverable(failure_code_);
  recovery_.failed(now_steady_ms(), recoverable, failure_detail_);
  std::lock_guard lock(mu_);
  failed_ = true;
  accepting_.store(false, std::memory_order_release);
  refusal_ = (recoverable ? "refusing writes until the disk has room: " : "refusing writes: ") +
             failure_detail_;
  for (auto& queued : queue_) {
    if (queued.done) queued.done({WriteStatus::kUnavailable, refusal_});
  }
  queue_.clear();
  foreground_queued_ = 0;
}

bool SqliteStore::await_recovery() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      writer_state_ = WriterState::kIdle;  // write() refuses everything meanwhile
      const auto wait = recovery_.will_probe()
                            ? std::chrono::milliseconds(
                                  std::max<int64_t>(0, recovery_.next_probe_ms() - now_steady_ms()))
                            : std::chrono::milliseconds(3'600'000);
      if (cv_.wait_for(lock, wait, [&] { return closing_; })) return false;
    }
    if (!recovery_.will_probe() || now_steady_ms() < recovery_.next_probe_ms()) continue;
    std::string error;
    const bool ok = probe_write(*writer_db_, options_.path, error);
    recovery_.probed(now_steady_ms(), ok);
    if (!ok) continue;
    std::lock_guard lock(mu_);
    if (closing_) return false;
    failed_ = false;
    refusal_.clear();
    accepting_.store(true, std::memory_order_release);
    spdlog::info("store: a probe commit landed; accepting writes again");
    return true;
  }
}

// A merge adds a batch of new messages to message_apps, sorted by application so that each
// application's pages are written once per batch, however many of its messages the batch holds.
// Its first chunk commits at once; the others ride along with the next commits, a chunk each,
// so that a merge of many applications' pages never holds the writer for the length of a
// commit of its own. The mark moves with the last chunk: until then listing finds the batch
// above it (and the rows already merged twice, which it reads as one).
void SqliteStore::start_merge() {
  // On failure too: the next try comes a batch later, not at every commit.
  unmerged_messages_ = 0;
  std::vector<IndexRow> rows;
  if (unmerged_complete_) {
    rows.swap(unmerged_rows_);
  } else {
    try {
      Statement read(writer_db_->handle(),
                     "SELECT rowid, app_id, id FROM " + kUnmergedMessages + " ORDER BY rowid");
      while (read.step()) {
        rows.push_back({read.column_int(0), read.column_text(1), read.column_text(2)});
      }
    } catch (const sqlite::Error& e) {
      spdlog::warn("store: reading new messages for message_apps failed: {}", e.what());
      return;
    }
    unmerged_rows_.clear();
    unmerged_complete_ = true;
  }
  if (rows.empty()) return;
  merging_mark_ = 0;
  for (const auto& r : rows) merging_mark_ = std::max(merging_mark_, r.rowid);
  std::sort(rows.begin(), rows.end(), [](const IndexRow& a, const IndexRow& b) {
    return std::tie(a.app_id, a.id) < std::tie(b.app_id, b.id);
  });
  merging_ = std::move(rows);
  merged_ = 0;
  auto& s = *statements_;
  size_t chunk_rows = 0;
  try {
    s.begin.run();
    chunk_rows = merge_chunk();
    s.commit.run();
  } catch (const sqlite::Error& e) {
    try {
      s.rollback.run();
    } catch (const sqlite::Error&) {
    }
    // Nothing is lost: listing reads unmerged messages from the table until a later merge.
    spdlog::warn("store: merging new messages into message_apps failed: {}", e.what());
    merging_.clear();
    unmerged_complete_ = false;
    return;
  }
  merge_settled(true, chunk_rows);
}

// The next rows of the merge under way, in the open transaction; with its last rows, the mark.
// At least twice as many rows as the transaction added messages, so that merges outpace a
// stream of large commits instead of growing with each.
size_t SqliteStore::merge_chunk() {
  auto& s = *statements_;
  const size_t chunk = std::max(static_cast<size_t>(std::max(1, options_.message_index_chunk)),
                                2 * batch_rows_.size());
  const size_t n = std::min(chunk, merging_.size() - merged_);
  for (size_t i = merged_; i < merged_ + n; ++i) {
    s.index_message.bind(1, merging_[i].app_id).bind(2, merging_[i].id).run();
  }
  if (merged_ + n == merging_.size()) s.set_message_index_mark.bind(1, merging_mark_).run();
  return n;
}

int64_t SqliteStore::lowest_held_rowid() const {
  int64_t lowest = INT64_MAX;
  for (const auto* rows : {&merging_, &unmerged_rows_, &batch_rows_}) {
    for (const auto& r : *rows) lowest = std::min(lowest, r.rowid);
  }
  // Rows above the mark that are not in hand are read from the table by the next merge.
  return lowest;
}

void SqliteStore::merge_settled(bool committed, size_t chunk_rows) {
  if (merge_invalidated_) {
    // Messages were deleted: the rows in hand may name some of them. Later merges read what is
    // above the mark from the table again (rows already merged are ignored then).
    merge_invalidated_ = false;
    merging_.clear();
    unmerged_rows_.clear();
    unmerged_complete_ = false;
    return;
  }
  if (!committed) return;
  merged_ += chunk_rows;
  if (merged_ >= merging_.size()) merging_.clear();
}

// Returns false only when the store must stop accepting writes.
bool SqliteStore::commit_batch(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results) {
  auto& s = *statements_;
  batch_rows_.clear();
  size_t chunk_rows = 0;
  try {
    s.begin.run();
    for (size_t i = 0; i < batch.size(); ++i) apply(batch[i].op, results[i]);
    if (!merging_.empty() && !merge_invalidated_) {
      // A chunk of the merge under way; its failure is not the batch's.
      s.savepoint.run();
      try {
        chunk_rows = merge_chunk();
        s.release.run();
      } catch (const sqlite::Error& e) {
        merge_invalidated_ = true;  // the next merge reads what is above the mark again
        // SQLite rolls the whole transaction back itself on some errors (I/O, memory): then the
        // batch has failed too, and the error is the batch's.
        if (sqlite3_get_autocommit(writer_db_->handle())) throw;
        s.rollback_to.run();
        s.release.run();
        spdlog::warn("store: merging new messages into message_apps failed: {}", e.what());
        chunk_rows = 0;
      }
    }
    rejection_log_->trim();
    s.commit.run();
    unmerged_messages_ += static_cast<int64_t>(batch_rows_.size());
    if (unmerged_complete_) {
      unmerged_rows_.insert(unmerged_rows_.end(), std::make_move_iterator(batch_rows_.begin()),
                            std::make_move_iterator(batch_rows_.end()));
    }
    batch_rows_.clear();
    merge_settled(true, chunk_rows);
    return true;
  } catch (const sqlite::Error& e) {
    try {
      statements_->rollback.run();
    } catch (const sqlite::Error&) {
    }
    batch_rows_.clear();
    rejection_log_->forget();
    merge_settled(false, 0);
    // A full disk or an I/O error is the store's failure, not one write's.
    const int primary = e.code() & 0xff;
    const bool disk_failure = primary == SQLITE_FULL || primary == SQLITE_IOERR;
    if (batch.size() > 1 && !disk_failure) {
      // One write failed for a reason of its own: give each write its own transaction so the
      // others still land and only the faulty one is refused.
      spdlog::warn("store: grouped commit failed ({}); retrying writes one by one", e.what());
      for (size_t i = 0; i < batch.size(); ++i) {
        std::vector<QueuedWrite> one;
        one.push_back(std::move(batch[i]));
        std::vector<WriteResult> one_result(1);
        const bool ok = commit_batch(one, one_result);
        batch[i] = std::move(one.front());
        results[i] = one_result.front();
        if (!ok) return false;
      }
      return true;
    }
    if (disk_failure) {
      failure_code_ = e.code();
      failure_detail_ = std::string("commit failed: ") + e.what();
      spdlog::error("store: commit failed, refusing writes: {}", e.what());
      for (auto& r : results)
        r = {WriteStatus::kUnavailable, std::string("commit failed: ") + e.what()};
      return false;
    }
    spdlog::error("store: write refused: {}", e.what());
    results.front() = {WriteStatus::kUnavailable, std::string("write failed: ") + e.what()};
    return true;
  }
}

void SqliteStore::insert_message(const write::InsertMessage& w, WriteResult& result) {
  auto& s = *statements_;
  const Message& m = *w.message;
  const std::string channels = m.channels.empty() ? "" : documents::strings_to_json(m.channels);
  s.insert_message.bind(1, m.id).bind(2, m.app_id).bind(3, m.event_type);
  if (m.event_id.empty()) {
    s.insert_message.bind_null(4);
  } else {
    s.insert_message.bind(4, m.event_id);
  }
  if (channels.empty()) {
    s.insert_message.bind_null(5);
  } else {
    s.insert_message.bind(5, channels);
  }
  s.insert_message.bind_blob(6, m.payload).bind(7, m.created_at).run();
  if (writer_db_->changes() == 0) {
    result = {WriteStatus::kConflict, "eventId: a message with this eventId already exists"};
    return;
  }
  batch_rows_.push_back({sqlite3_last_insert_rowid(writer_db_->handle()), m.app_id, m.id});
  for (const auto& endpoint_id : *w.endpoint_ids) {
    s.insert_delivery.bind(1, m.id)
        .bind(2, endpoint_id)
        .bind(3, m.app_id)
        .bind(4, m.created_at)
        .run();
  }
}

void SqliteStore::apply(const WriteOp& op, WriteResult& result) {
  auto& s = *statements_;
  std::visit(
      [&](const auto& w) {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, write::PutApplication>) {
          const auto doc = documents::to_doc(w.app);
          s.put_app.bind(1, w.app.id).bind(2, doc).run();
        } else if constexpr (std::is_same_v<T, write::DeleteApplication>) {
          const std::string unmerged = "DELETE FROM " + kUnmergedMessages + " AND app_id = ?1";
          for (const char* sql :
               {"DELETE FROM inbound_events WHERE source_id IN "
                "(SELECT id FROM sources WHERE app_id = ?1)",
                "DELETE FROM inbound_rejections WHERE source_id IN "
                "(SELECT id FROM sources WHERE app_id = ?1)",
                inbound_rows::kDeleteCountsOfApp, "DELETE FROM sources WHERE app_id = ?1",
                "DELETE FROM applications WHERE id = ?1", "DELETE FROM endpoints WHERE app_id = ?1",
                "DELETE FROM deliveries WHERE app_id = ?1",
                "DELETE FROM attempts WHERE app_id = ?1",
                "DELETE FROM messages WHERE id IN (SELECT id FROM message_apps WHERE app_id = ?1)",
                unmerged.c_str(), "DELETE FROM message_apps WHERE app_id = ?1"}) {
            Statement(writer_db_->handle(), sql).bind(1, w.app_id).run();
          }
          s.lower_message_index_mark.run();
          merge_invalidated_ = true;
        } else if constexpr (std::is_same_v<T, write::PutEventType>) {
          const auto doc = documents::to_doc(w.event_type);
          s.put_event_type.bind(1, w.event_type.name).bind(2, doc).run();
        } else if constexpr (std::is_same_v<T, write::PutEndpoint>) {
          const auto doc = documents::to_doc(w.endpoint, options_.secrets);
          s.put_endpoint.bind(1, w.endpoint.id).bind(2, w.endpoint.app_id).bind(3, doc).run();
        } else if constexpr (std::is_same_v<T, write::DeleteEndpoint>) {
          for (const char* sql :
               {"DELETE FROM endpoints WHERE id = ?1",
                "DELETE FROM deliveries INDEXED BY deliveries_pending WHERE status = 1 AND "
                "endpoint_id = ?1"}) {
            Statement(writer_db_->handle(), sql).bind(1, w.endpoint_id).run();
          }
        } else if constexpr (std::is_same_v<T, write::InsertMessage>) {
          insert_message(w, result);
        } else if constexpr (std::is_same_v<T, write::RecordAttempt>) {
          const Attempt& a = w.attempt;
          s.insert_attempt.bind(1, a.id)
              .bind(2, a.msg_id)
              .bind(3, a.endpoint_id)
              .bind(4, a.app_id)
              .bind(5, a.url)
              .bind(6, int64_t{static_cast<int>(a.status)})
              .bind(7, int64_t{a.status_code})
              .bind(8, a.response)
              .bind(9, a.duration_ms)
              .bind(10, int64_t{static_cast<int>(a.trigger)})
              .bind(11, a.error_class)
              .bind(12, a.created_at)
              .run();
          if (!w.update_delivery) return;
          const Delivery& d = w.delivery;
          s.update_delivery.bind(1, d.msg_id)
              .bind(2, d.endpoint_id)
              .bind(3, int64_t{static_cast<int>(d.status)})
              .bind(4, int64_t{d.attempts})
              .bind(5, d.next_attempt_at)
              .bind(6, d.updated_at)
              .run();
        } else if constexpr (std::is_same_v<T, write::PutSource>) {
          const auto doc = documents::to_doc(w.source, options_.secrets);
          Statement(writer_db_->handle(),
                    "INSERT OR REPLACE INTO sources (id, app_id, doc) VALUES (?1, ?2, ?3)")
              .bind(1, w.source.id)
              .bind(2, w.source.app_id)
              .bind(3, doc)
              .run();
        } else if constexpr (std::is_same_v<T, write::DeleteSource>) {
          for (const char* sql :
               {"DELETE FROM inbound_events WHERE source_id = ?1",
                "DELETE FROM inbound_rejections WHERE source_id = ?1",
                inbound_rows::kDeleteCountsOfSource, "DELETE FROM sources WHERE id = ?1"}) {
            Statement(writer_db_->handle(), sql).bind(1, w.source_id).run();
          }
        } else if constexpr (std::is_same_v<T, write::UpsertInboundEvent>) {
          upsert_inbound(w, result);
        } else if constexpr (std::is_same_v<T, write::Prune>) {
          result.affected = prune(w);
        } else if constexpr (std::is_same_v<T, write::RecordRejection>) {
          rejection_log_->record(w.rejection);
        }
      },
      op);
}

namespace {

// Binds `text`, or NULL when it is empty.
void bind_text_or_null(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, text);
  }
}

}  // namespace

int64_t SqliteStore::prune(const write::Prune& w) {
  sqlite3* db = writer_db_->handle();
  // Attempt ids sort by creation time, so the oldest are a range of the primary key.
  Statement attempts(db,
                     "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id < ?1 "
                     "ORDER BY id LIMIT ?2)");
  const std::string attempt_bound = make_id("atmpt_", w.before, 0, 0);
  attempts.bind(1, attempt_bound).bind(2, int64_t{w.limit}).run();
  const int64_t attempts_deleted = writer_db_->changes();
  // Messages in insertion (rowid) order: the oldest come first.
  Statement pick(db,
                 "SELECT rowid, id, app_id FROM messages WHERE rowid IN (SELECT rowid FROM "
                 "messages ORDER BY rowid LIMIT ?2) AND created_at < ?1");
  pick.bind(1, w.before).bind(2, int64_t{w.limit});
  struct Old {
    int64_t rowid;
    std::string id, app_id;
  };
  std::vector<Old> old;
  while (pick.step()) old.push_back({pick.column_int(0), pick.column_text(1), pick.column_text(2)});
  pick.reset();
  Statement deliveries(db, "DELETE FROM deliveries WHERE msg_id = ?1");
  Statement message_attempts(db, "DELETE FROM attempts WHERE msg_id = ?1");
  Statement message(db, "DELETE FROM messages WHERE rowid = ?1");
  Statement listed(db, "DELETE FROM message_apps WHERE app_id = ?1 AND id = ?2");
  for (const auto& o : old) {
    deliveries.bind(1, o.id).run();
    message_attempts.bind(1, o.id).run();
    message.bind(1, o.rowid).run();
    listed.bind(1, o.app_id).bind(2, o.id).run();
  }
  if (!old.empty()) {
    statements_->lower_message_index_mark.run();
    // Retention deletes the oldest messages, nearly always below every row a merge holds (those
    // are above the mark): only a deleted row at or above the lowest of them stops the merge.
    int64_t newest_deleted = 0;
    for (const auto& o : old) newest_deleted = std::max(newest_deleted, o.rowid);
    if (newest_deleted >= lowest_held_rowid()) merge_invalidated_ = true;
  }
  const int64_t inbound_deleted = inbound_rows::prune(db, w.before, w.limit);
  return std::max({attempts_deleted, static_cast<int64_t>(old.size()), inbound_deleted});
}

void SqliteStore::upsert_inbound(const write::UpsertInboundEvent& w, WriteResult& result) {
  if (w.keep_first && !w.event.event_key.empty()) {
    Statement& stored = statements_->inbound_by_key;
    stored.bind(1, w.event.source_id).bind(2, w.event.event_key);
    const bool found = stored.step();
    if (found) {
      result.stored_id = stored.column_text(0);
      result.revision = stored.column_int(1);
      result.duplicate = true;
    }
    stored.reset();
    if (found) return;
  }
  if (w.forward) {
    insert_message(*w.forward, result);
    if (result.status != WriteStatus::kOk) return;
  }
  const InboundEvent& e = w.event;
  Statement& st = statements_->upsert_inbound;
  st.bind(1, e.id).bind(2, e.source_id);
  bind_text_or_null(st, 3, e.event_key);
  bind_text_or_null(st, 4, e.customer_id);
  bind_text_or_null(st, 5, e.name);
  if (e.score) {
    st.bind(6, int64_t{*e.score});
  } else {
    st.bind_null(6);
  }
  bind_text_or_null(st, 7, e.ts);
  bind_text_or_null(st, 8, e.localtime);
  st.bind(9, e.occurred_at).bind(10, e.received_at).bind(11, e.content_type);
  st.bind_blob(12, e.payload);
  bind_text_or_null(st, 13, e.message_id);
  if (!st.step()) {
    st.reset();
    throw sqlite::Error(SQLITE_ERROR, "inbound upsert returned no row");
  }
  result.stored_id = st.column_text(0);
  result.revision = st.column_int(1);
  st.reset();
}

CatalogSnapshot SqliteStore::load_catalog() {
  ReaderLease db(*this);
  CatalogSnapshot snapshot;
  Statement apps(*db, "SELECT doc FROM applications ORDER BY id");
  while (apps.step()) snapshot.apps.push_back(documents::application_from_doc(apps.column_text(0)));
  Statement types(*db, "SELECT doc FROM event_types ORDER BY name");
  while (types.step()) {
    snapshot.event_types.push_back(documents::event_type_from_doc(types.column_text(0)));
  }
  Statement endpoints(*db, "SELECT doc FROM endpoints ORDER BY id");
  while (endpoints.step()) {
    snapshot.endpoints.push_back(
        documents::endpoint_from_doc(endpoints.column_text(0), options_.secrets));
  }
  Statement sources(*db, "SELECT doc FROM sources ORDER BY id");
  while (sources.step()) {
    snapshot.sources.push_back(
        documents::source_from_doc(sources.column_text(0), options_.secrets));
  }
  return snapshot;
}

namespace {

constexpr const char* kMessageColumns =
    "id, app_id, event_type, event_id, channels, payload, created_at";

Message read_message(const Statement& st) {
  Message m;
  m.id = st.column_text(0);
  m.app_id = st.column_text(1);
  m.event_type = st.column_text(2);
  m.event_id = st.column_text(3);
  m.channels = documents::strings_from_json(st.column_text(4));
  m.payload = st.column_text(5);
  m.created_at = st.column_int(6);
  return m;
}

constexpr const char* kAttemptColumns =
    "id, msg_id, endpoint_id, app_id, url, status, status_code, response, duration_ms, "
    "trigger_type, error_class, created_at";

Attempt read_attempt(const Statement& st) {
  Attempt a;
  a.id = st.column_text(0);
  a.msg_id = st.column_text(1);
  a.endpoint_id = st.column_text(2);
  a.app_id = st.column_text(3);
  a.url = st.column_text(4);
  a.status = static_cast<DeliveryStatus>(st.column_int(5));
  a.status_code = static_cast<int>(st.column_int(6));
  a.response = st.column_text(7);
  a.duration_ms = st.column_int(8);
  a.trigger = static_cast<TriggerType>(st.column_int(9));
  a.error_class = st.column_text(10);
  a.created_at = st.column_int(11);
  return a;
}

}  // namespace

std::vector<Message> SqliteStore::list_messages(const std::string& app_id,
                                                const MessageFilter& filter, const Page& page) {
  // Two parts in one statement (one snapshot), each ordered by id: the messages already in
  // message_apps, walked newest first along its key, and the newest rows not merged yet, which
  // are few (about message_index_batch, twice that at most). SQLite merges the two ordered parts
  // and stops at the limit; UNION, since a merge under way has put some of the rows above the
  // mark in message_apps already. The first part selects x.id (equal to m.id) so that its order is
  // the key's.
  const auto conditions = [&](const char* id, const char* type) {
    std::string sql;
    if (!page.iterator.empty()) sql += std::string(" AND ") + id + " < ?2";
    if (!filter.event_types.empty()) {
      sql += std::string(" AND ") + type + " IN (";
      for (size_t i = 0; i < filter.event_types.size(); ++i) {
        sql += (i ? ", ?" : "?") + std::to_string(4 + i);
      }
      sql += ")";
    }
    return sql;
  };
  // Only ids are merged and sorted (the rows above the mark may be thousands: sorting them with
  // their payloads took 60 ms for 16,000); the page's rows are then read by id.
  const std::string sql = std::string("SELECT ") + kMessageColumns +
                          " FROM messages WHERE id IN (SELECT x.id FROM message_apps x JOIN "
                          "messages m ON m.id = x.id WHERE x.app_id = ?1" +
                          conditions("x.id", "m.event_type") + " UNION SELECT id FROM " +
                          kUnmergedMessages + " AND app_id = ?1" + conditions("id", "event_type") +
                          " ORDER BY 1 DESC LIMIT ?3) ORDER BY id DESC";
  ReaderLease db(*this);
  Statement st(*db, sql);
  st.bind(1, app_id).bind(3, int64_t{page.limit + 1});
  if (!page.iterator.empty()) st.bind(2, page.iterator);
  for (size_t i = 0; i < filter.event_types.size(); ++i) {
    st.bind(static_cast<int>(4 + i), filter.event_types[i]);
  }
  std::vector<Message> out;
  while (st.step()) out.push_back(read_message(st));
  return out;
}

std::optional<Message> SqliteStore::get_message(const std::string& app_id,
                                                const std::string& msg_id) {
  ReaderLease db(*this);
  Statement st(*db, std::string("SELECT ") + kMessageColumns +
                        " FROM messages WHERE app_id = ?1 AND (id = ?2 OR event_id = ?2)");
  st.bind(1, app_id).bind(2, msg_id);
  if (!st.step()) return std::nullopt;
  return read_message(st);
}

std::vector<Attempt> SqliteStore::list_attempts(const std::string& app_id,
                                                const AttemptFilter& filter, const Page& page) {
  ReaderLease db(*this);
  std::string sql = std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE app_id = ?1";
  if (!filter.msg_id.empty()) sql += " AND msg_id = ?2";
  if (!filter.endpoint_id.empty()) sql += " AND endpoint_id = ?3";
  if (filter.status) sql += " AND status = ?4";
  if (!page.iterator.empty()) sql += " AND id < ?5";
  sql += " ORDER BY id DESC LIMIT ?6";
  Statement st(*db, sql);
  st.bind(1, app_id).bind(6, int64_t{page.limit + 1});
  if (!filter.msg_id.empty()) st.bind(2, filter.msg_id);
  if (!filter.endpoint_id.empty()) st.bind(3, filter.endpoint_id);
  if (filter.status) st.bind(4, int64_t{*filter.status});
  if (!page.iterator.empty()) st.bind(5, page.iterator);
  std::vector<Attempt> out;
  while (st.step()) out.push_back(read_attempt(st));
  return out;
}

std::optional<Attempt> SqliteStore::get_attempt(const std::string& app_id,
                                                const std::string& attempt_id) {
  ReaderLease db(*this);
  Statement st(*db, std::string("SELECT ") + kAttemptColumns +
                        " FROM attempts WHERE app_id = ?1 AND id = ?2");
  st.bind(1, app_id).bind(2, attempt_id);
  if (!st.step()) return std::nullopt;
  return read_attempt(st);
}

std::vector<Delivery> SqliteStore::list_deliveries_of_message(const std::string& msg_id) {
  ReaderLease db(*this);
  Statement st(*db,
               "SELECT msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, updated_at "
               "FROM deliveries WHERE msg_id = ?1 ORDER BY endpoint_id");
  st.bind(1, msg_id);
  std::vector<Delivery> out;
  while (st.step()) {
    Delivery d;
    d.msg_id = st.column_text(0);
    d.endpoint_id = st.column_text(1);
    d.app_id = st.column_text(2);
    d.status = static_cast<DeliveryStatus>(st.column_int(3));
    d.attempts = static_cast<int>(st.column_int(4));
    d.next_attempt_at = st.column_int(5);
    d.updated_at = st.column_int(6);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// Rows of (msg_id, endpoint_id, app_id, attempts, next_attempt_at, event_type, event_id,
// channels, payload, created_at); rows of one message share one Message.
std::vector<PendingDelivery> read_pending_rows(Statement& st) {
  std::vector<PendingDelivery> page;
  std::unordered_map<std::string, MessagePtr> messages;  // fan-out rows share one message
  while (st.step()) {
    PendingDelivery p;
    p.delivery.msg_id = st.column_text(0);
    p.delivery.endpoint_id = st.column_text(1);
    p.delivery.app_id = st.column_text(2);
    p.delivery.attempts = static_cast<int>(st.column_int(3));
    p.delivery.next_attempt_at = st.column_int(4);
    MessagePtr& m = messages[p.delivery.msg_id];
    if (!m) {
      auto message = std::make_shared<Message>();
      message->id = p.delivery.msg_id;
      message->app_id = p.delivery.app_id;
      message->event_type = st.column_text(5);
      message->event_id = st.column_text(6);
      message->channels = documents::strings_from_json(st.column_text(7));
      message->payload = st.column_text(8);
      message->created_at = st.column_int(9);
      m = std::move(message);
    }
    p.message = m;
    page.push_back(std::move(p));
  }
  return page;
}

}  // namespace

std::vector<PendingDelivery> SqliteStore::pending_page(
    int64_t due_before, const PendingCursor& after, int limit,
    const std::vector<std::string>& skip_endpoints) {
  // Keyset pagination over the partial index of pending deliveries: each page is one seek.
  static const std::string kSql =
      "SELECT d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.next_attempt_at, "
      "m.event_type, m.event_id, m.channels, m.payload, m.created_at FROM deliveries d "
      "JOIN messages m ON m.app_id = d.app_id AND m.id = d.msg_id WHERE d.status = 1 AND "
      "d.next_attempt_at <= ?4 AND (d.next_attempt_at, d.msg_id, d.endpoint_id) > "
      "(?1, ?2, ?3) AND d.endpoint_id NOT IN (SELECT value FROM json_each(?6)) "
      "ORDER BY d.next_attempt_at, d.msg_id, d.endpoint_id LIMIT ?5";
  ReaderLease db(*this);
  Statement& st = db.connection().cached(kSql);
  st.bind(1, after.next_attempt_at).bind(2, after.msg_id).bind(3, after.endpoint_id);
  const std::string skip = documents::strings_to_json(skip_endpoints);
  st.bind(4, due_before).bind(5, int64_t{limit}).bind(6, skip);
  std::vector<PendingDelivery> page = read_pending_rows(st);
  st.reset();  // ends the read snapshot, so checkpoints can proceed
  return page;
}

namespace {

constexpr const char* kInboundColumns =
    "id, source_id, event_key, customer_id, name, score, ts, localtime, occurred_at, "
    "received_at, revision, content_type, payload, message_id";

InboundEvent read_inbound(const Statement& st) {
  InboundEvent e;
  e.id = st.column_text(0);
  e.source_id = st.column_text(1);
  e.event_key = st.column_text(2);
  e.customer_id = st.column_text(3);
  e.name = st.column_text(4);
  if (!st.column_is_null(5)) e.score = static_cast<int>(st.column_int(5));
  e.ts = st.column_text(6);
  e.localtime = st.column_text(7);
  e.occurred_at = st.column_int(8);
  e.received_at = st.column_int(9);
  e.revision = st.column_int(10);
  e.content_type = st.column_text(11);
  e.payload = st.column_text(12);
  e.message_id = st.column_text(13);
  return e;
}

}  // namespace

std::vector<InboundEvent> SqliteStore::list_inbound_events(const std::string& source_id,
                                                           const InboundEventFilter& filter,
                                                           const Page& page) {
  ReaderLease db(*this);
  std::string sql =
      std::string("SELECT ") + kInboundColumns + " FROM inbound_events WHERE source_id = ?1";
  if (!page.iterator.empty()) sql += " AND id < ?2";
  if (!filter.customer_id.empty()) sql += " AND customer_id = ?4";
  if (!filter.name.empty()) sql += " AND name = ?5";
  if (filter.since) sql += " AND occurred_at >= ?6";
  if (filter.until) sql += " AND occurred_at < ?7";
  sql += " ORDER BY id DESC LIMIT ?3";
  Statement st(*db, sql);
  st.bind(1, source_id).bind(3, int64_t{page.limit + 1});
  if (!page.iterator.empty()) st.bind(2, page.iterator);
  if (!filter.customer_id.empty()) st.bind(4, filter.customer_id);
  if (!filter.name.empty()) st.bind(5, filter.name);
  if (filter.since) st.bind(6, *filter.since);
  if (filter.until) st.bind(7, *filter.until);
  std::vector<InboundEvent> out;
  while (st.step()) out.push_back(read_inbound(st));
  return out;
}

std::optional<InboundEvent> SqliteStore::get_inbound_event(const std::string& source_id,
                                                           const std::string& id_or_key) {
  ReaderLease db(*this);
  Statement st(*db, std::string("SELECT ") + kInboundColumns +
                        " FROM inbound_events WHERE source_id = ?1 AND (id = ?2 OR event_key = "
                        "?2) ORDER BY id = ?2 DESC LIMIT 1");
  st.bind(1, source_id).bind(2, id_or_key);
  if (!st.step()) return std::nullopt;
  return read_inbound(st);
}

std::vector<CustomerSummary> SqliteStore::customer_summaries(const std::string& source_id,
                                                             const std::string& customer_id,
                                                             const Page& page) {
  ReaderLease db(*this);
  std::string sql =
      "SELECT customer_id, COUNT(*), AVG(score), (SELECT score FROM inbound_events l WHERE "
      "l.source_id = e.source_id AND l.customer_id = e.customer_id AND l.score IS NOT NULL "
      "ORDER BY l.occurred_at DESC, l.received_at DESC, l.id DESC LIMIT 1), MAX(occurred_at) "
      "FROM inbound_events e WHERE source_id = ?1 AND customer_id IS NOT NULL";
  if (!page.iterator.empty()) sql += " AND customer_id > ?2";
  if (!customer_id.empty()) sql += " AND customer_id = ?4";
  sql += " GROUP BY customer_id ORDER BY customer_id LIMIT ?3";
  Statement st(*db, sql);
  st.bind(1, source_id).bind(3, int64_t{page.limit + 1});
  if (!page.iterator.empty()) st.bind(2, page.iterator);
  if (!customer_id.empty()) st.bind(4, customer_id);
  std::vector<CustomerSummary> out;
  while (st.step()) {
    CustomerSummary c;
    c.customer_id = st.column_text(0);
    c.event_count = st.column_int(1);
    if (!st.column_is_null(2)) c.average_score = st.column_double(2);
    if (!st.column_is_null(3)) c.latest_score = static_cast<int>(st.column_int(3));
    c.last_event_at = st.column_int(4);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<InboundRejection> SqliteStore::list_rejections(const std::string& source_id,
                                                           const Page& page) {
  ReaderLease db(*this);
  return inbound_rows::list_rejections(*db, source_id, page);
}

std::vector<RejectionCount> SqliteStore::rejection_counts(const std::string& source_id) {
  ReaderLease db(*this);
  return inbound_rows::rejection_counts(*db, source_id);
}

}  // namespace

std::vector<PendingDelivery> SqliteStore::failed_deliveries(
    const std::string& app_id, const std::string& endpoint_id,
    const std::vector<std::string>& event_types, int64_t since, int64_t until, int limit) {
  std::string sql =
      "SELECT d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.next_attempt_at, m.event_type, "
      "m.event_id, m.channels, m.payload, m.created_at FROM deliveries d JOIN messages m ON "
      "m.app_id = d.app_id AND m.id = d.msg_id WHERE d.app_id = ?1 AND d.status = 2 AND "
      "d.msg_id >= ?2 AND d.msg_id < ?3 AND m.created_at >= ?4 AND m.created_at < ?5";
  if (!endpoint_id.empty()) sql += " AND d.endpoint_id = ?6";
  if (!event_types.empty()) sql += " AND m.event_type IN (SELECT value FROM json_each(?7))";
  sql += " ORDER BY d.msg_id, d.endpoint_id LIMIT ?8";
  ReaderLease db(*this);
  Statement st(*db, sql);
  // Message ids encode their creation time; a second of slack either side covers clock reads.
  const std::string low = make_id("msg_", std::max<int64_t>(0, since - 1'000), 0, 0);
  const std::string high = make_id("msg_", until + 1'000, 0, 0);
  st.bind(1, app_id).bind(2, low).bind(3, high).bind(4, since).bind(5, until);
  if (!endpoint_id.empty()) st.bind(6, endpoint_id);
  const std::string types = documents::strings_to_json(event_types);
  if (!event_types.empty()) st.bind(7, types);
  st.bind(8, int64_t{limit});
  return read_pending_rows(st);
}

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options) {
  return std::make_unique<SqliteStore>(options);
}

}  // namespace hookd
