// The SQLite store: opening it, queueing writes for the writer thread, lending reader
// connections, and closing it. The writer thread's loop is in group_commit.cpp.
#include "store/sqlite/sqlite_store.h"

#include <pthread.h>

#include "store/sqlite/schema.h"
#include "store/sqlite/store_impl.h"
#include "store/wal_buffer.h"

namespace hookd {
namespace sqlite {

SqliteStore::SqliteStore(const SqliteOptions& options)
    : options_(options), checkpointer_(options.path) {
  // The writer's WAL writes go out as one write per commit (store/wal_buffer.h); safe because
  // configure_writer() sets synchronous=FULL, so every commit syncs the WAL before publishing
  // it.
  const char* vfs = options.vfs_name.empty() ? wal_buffer_vfs() : options.vfs_name.c_str();
  writer_db_ = std::make_unique<Connection>(options.path, vfs);
  // Extended codes tell a WAL index that could not grow (a full disk) from other I/O errors.
  sqlite3_extended_result_codes(writer_db_->handle(), 1);
  configure_writer(*writer_db_);
  create_schema(*writer_db_);
  message_index_ = std::make_unique<MessageIndex>(*writer_db_, options.message_index_batch,
                                                  options.message_index_chunk);
  // Checkpoints run on their own thread and connection, so a commit never waits for WAL frames
  // to be copied into the database file and that file's fsync, as it does when SQLite
  // checkpoints automatically at the end of a commit.
  checkpointer_.watch(*writer_db_);
  statements_ = std::make_unique<WriterStatements>(writer_db_->handle());
  rejection_log_ =
      std::make_unique<inbound_rows::RejectionLog>(writer_db_->handle(), options.rejection_sample);
  for (int i = 0; i < options.reader_connections; ++i) {
    auto reader = std::make_unique<Connection>(options.path);
    reader->exec("PRAGMA cache_size=-16384");
    idle_readers_.push_back(std::move(reader));
  }
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-writer");
    writer_loop();
  });
  checkpointer_.start();
}

void SqliteStore::write(WriteOp op, WriteCallback done) {
  {
    std::lock_guard lock(mu_);
    if (!closing_ && !failed_ && queue_.size() < options_.max_queued_writes) {
      const bool foreground = !is_background(op);
      queue_.push_back({std::move(op), std::move(done)});
      if (foreground) ++foreground_queued_;
      // A busy writer looks at the queue when its commit ends; a gathering one wants only
      // what ends the gathering. Every other write would be a futex call for nothing.
      if (writer_state_ == WriterState::kIdle || (writer_state_ == WriterState::kGathering &&
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

std::string SqliteStore::write_refusal() const {
  std::lock_guard lock(mu_);
  if (failed_) return refusal_;
  return closing_ ? "the store is closed" : "";
}

size_t SqliteStore::write_queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void SqliteStore::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
    accepting_.store(false, std::memory_order_release);
    cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  checkpointer_.stop();
}

namespace {

// The read group this thread has open, if any (one store and connection at a time).
struct LentReader {
  const SqliteStore* store = nullptr;
  Connection* conn = nullptr;
};
thread_local LentReader lent_reader;

}  // namespace

SqliteStore::ReaderLease::ReaderLease(SqliteStore& store) : store_(store) {
  if (lent_reader.store == &store) {
    conn_ = lent_reader.conn;
    return;
  }
  std::unique_lock lock(store_.readers_mu_);
  store_.readers_cv_.wait(lock, [&] { return !store_.idle_readers_.empty(); });
  owned_ = std::move(store_.idle_readers_.back());
  store_.idle_readers_.pop_back();
  conn_ = owned_.get();
}

SqliteStore::ReaderLease::~ReaderLease() {
  if (!owned_) return;
  std::lock_guard lock(store_.readers_mu_);
  store_.idle_readers_.push_back(std::move(owned_));
  store_.readers_cv_.notify_one();
}

// A reader connection held in one read transaction (BEGIN: the snapshot is taken by the first
// read) and lent to every ReaderLease of the thread until the group goes.
class SqliteStore::SqliteReadGroup final : public Store::ReadGroup {
 public:
  explicit SqliteReadGroup(SqliteStore& store) : lease_(store), outer_(lent_reader) {
    lease_.connection().exec("BEGIN");
    lent_reader = {&store, &lease_.connection()};
  }
  ~SqliteReadGroup() override {
    lent_reader = outer_;
    try {
      lease_.connection().exec("COMMIT");
    } catch (const std::exception&) {  // a read transaction has nothing to lose
      sqlite3_exec(*lease_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  SqliteReadGroup(const SqliteReadGroup&) = delete;
  SqliteReadGroup& operator=(const SqliteReadGroup&) = delete;

 private:
  ReaderLease lease_;
  const LentReader outer_;  // another store's group this thread had open, if any
};

std::unique_ptr<Store::ReadGroup> SqliteStore::group_reads() {
  if (lent_reader.store == this) return nullptr;  // already grouped: the outer group holds
  return std::make_unique<SqliteReadGroup>(*this);
}

}  // namespace sqlite

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options) {
  return std::make_unique<sqlite::SqliteStore>(options);
}

}  // namespace hookd
