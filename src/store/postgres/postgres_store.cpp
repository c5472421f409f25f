// The PostgreSQL store: opening it, queueing writes for the writer thread, lending reader
// connections, and closing it. The writer thread's loop is in group_commit.cpp.
#include "store/postgres/postgres_store.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "common/time.h"
#include "store/postgres/pg_schema.h"
#include "store/postgres/store_impl.h"

namespace hookd {
namespace pg {

PostgresStore::PostgresStore(const PostgresOptions& options)
    : options_(options),
      live_claim_(new_claim_token()),
      live_view_(std::make_shared<const std::vector<std::string>>(
          std::vector<std::string>{options.node_id})) {
  writer_db_ = std::make_unique<Connection>(options.url);
  const int version = migrate(*writer_db_);
  spdlog::info("store: PostgreSQL, schema version {}", version);
  take_back_claims();
  start_membership();
  start_listening();
  for (int i = 0; i < std::max(1, options.reader_connections); ++i) {
    idle_readers_.push_back(std::make_unique<Connection>(options.url));
  }
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-writer");
    writer_loop();
  });
}

void PostgresStore::take_back_claims() {
  if (options_.node_id.empty()) return;
  // Claims of this node's previous run (it stopped or crashed): due now, for any node to claim,
  // rather than when their lease ends.
  const Result r = writer_db_->exec(
      "UPDATE deliveries SET next_attempt_at = LEAST(next_attempt_at, $1), owner = NULL, claim = "
      "0 WHERE owner = $2 AND status = 1",
      Params().add(now_unix_ms()).add(options_.node_id));
  if (r.affected() > 0) {
    spdlog::info("store: {} deliveries claimed by this node's previous run are due again",
                 r.affected());
  }
}

void PostgresStore::write(WriteOp op, WriteCallback done) {
  std::string why;
  {
    std::lock_guard lock(mu_);
    if (!closing_ && !disconnected_ && queue_.size() < options_.max_queued_writes) {
      queue_.push_back({std::move(op), std::move(done)});
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
    why = closing_        ? "the store is closed"
          : disconnected_ ? refusal_
                          : "the store's write queue is full";
  }
  if (done) done({WriteStatus::kUnavailable, why});
}

std::string PostgresStore::write_refusal() const {
  std::lock_guard lock(mu_);
  if (closing_) return "the store is closed";
  return disconnected_ ? refusal_ : "";
}

size_t PostgresStore::write_queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void PostgresStore::close() {
  {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
    accepting_.store(false, std::memory_order_release);
    cv_.notify_all();
    cv_beat_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
  if (beater_.joinable()) beater_.join();
  if (listener_.joinable()) listener_.join();
}

PostgresStore::ReaderLease::ReaderLease(PostgresStore& store) : store_(store) {
  std::unique_lock lock(store_.readers_mu_);
  store_.readers_cv_.wait(lock, [&] { return !store_.idle_readers_.empty(); });
  conn_ = std::move(store_.idle_readers_.back());
  store_.idle_readers_.pop_back();
  lock.unlock();
  if (!conn_->ok() && !conn_->reset()) {
    std::lock_guard back(store_.readers_mu_);
    store_.idle_readers_.push_back(std::move(conn_));
    store_.readers_cv_.notify_one();
    throw StoreUnavailable("the database is unreachable");
  }
}

PostgresStore::ReaderLease::~ReaderLease() {
  if (!conn_) return;
  std::lock_guard lock(store_.readers_mu_);
  store_.idle_readers_.push_back(std::move(conn_));
  store_.readers_cv_.notify_one();
}

}  // namespace pg

std::unique_ptr<Store> open_postgres_store(const PostgresOptions& options) {
  try {
    return std::make_unique<pg::PostgresStore>(options);
  } catch (const pg::Error& e) {
    throw std::runtime_error(std::string("PostgreSQL store: ") + e.what());
  }
}

bool is_postgres_url(const std::string& url) {
  return url.starts_with("postgres://") || url.starts_with("postgresql://");
}

}  // namespace hookd
