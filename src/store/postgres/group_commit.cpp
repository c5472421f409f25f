// The PostgreSQL store's writer thread: the group commit. It takes everything queued, applies
// it in one transaction, commits (PostgreSQL flushes its WAL: synchronous_commit=on), and then
// runs the callbacks. A lost connection refuses the batch and the writes after it until the
// writer has connected again.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <utility>

#include "store/postgres/store_impl.h"

namespace hookd::pg {

void PostgresStore::writer_loop() {
  std::vector<QueuedWrite> batch;
  std::vector<WriteResult> results;
  for (;;) {
    if (!take_batch(batch)) return;
    results.assign(batch.size(), WriteResult{});
    const bool connected = commit_batch(batch, results);
    commits_.fetch_add(1, std::memory_order_release);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(results[i]);
    }
    if (!connected && !reconnect()) return;
  }
}

bool PostgresStore::take_batch(std::vector<QueuedWrite>& batch) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
  if (queue_.empty()) return false;  // closing and drained
  const size_t take = std::min(queue_.size(), kMaxBatch);
  batch.clear();
  for (size_t i = 0; i < take; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

bool PostgresStore::commit_batch(std::vector<QueuedWrite>& batch,
                                 std::vector<WriteResult>& results) {
  try {
    commit_grouped(batch, results);
    return true;
  } catch (const Error& e) {
    touched_sources_.clear();
    catalog_changed_ = false;
    left_for_others_ = false;
    if (e.connection_lost() || !writer_db_->ok()) {
      lose_connection(e.what());
      for (auto& r : results) r = {WriteStatus::kUnavailable, refusal_};
      return false;
    }
    if (batch.size() > 1) {
      // One write failed for a reason of its own: each write gets its own transaction, so the
      // others still land and only the faulty one is refused.
      spdlog::warn("store: grouped commit failed ({}); retrying writes one by one", e.what());
      return commit_one_by_one(batch, results);
    }
    spdlog::error("store: write refused: {}", e.what());
    results.front() = {WriteStatus::kUnavailable, std::string("write failed: ") + e.what()};
    return true;
  }
}

// Runs of messages and of attempts queued one after another, each applied with its
// statements when the run ends; every other write ends the runs before it, so writes keep
// their order.
class PostgresStore::Runs final {
 public:
  explicit Runs(PostgresStore& store) : store_(store) {}

  void add(const write::InsertMessage& m, WriteResult& result) {
    flush_attempts();
    messages_.push_back(&m);
    message_results_.push_back(&result);
    message_bytes_ += m.message->payload.size();
    if (message_bytes_ >= kMaxMessageBytes) flush_messages();
  }
  void add(const write::RecordAttempt& a, WriteResult& result) {
    flush_messages();
    // A delivery appears once in a run: a second attempt of it starts the next run.
    if (!keys_.emplace(a.delivery.msg_id, a.delivery.endpoint_id).second) flush_attempts();
    keys_.emplace(a.delivery.msg_id, a.delivery.endpoint_id);
    attempts_.push_back(&a);
    attempt_results_.push_back(&result);
    if (attempts_.size() >= kMaxAttemptRun) flush_attempts();
  }
  void flush() {
    flush_messages();
    flush_attempts();
  }

 private:
  static constexpr size_t kMaxAttemptRun = 512;
  void flush_messages() {
    if (!messages_.empty()) store_.apply_messages(messages_, message_results_);
    messages_.clear();
    message_results_.clear();
    message_bytes_ = 0;
  }
  void flush_attempts() {
    if (!attempts_.empty()) store_.apply_attempts(attempts_, attempt_results_);
    attempts_.clear();
    attempt_results_.clear();
    keys_.clear();
  }

  PostgresStore& store_;
  std::vector<const write::InsertMessage*> messages_;
  std::vector<WriteResult*> message_results_;
  size_t message_bytes_ = 0;
  std::vector<const write::RecordAttempt*> attempts_;
  std::vector<WriteResult*> attempt_results_;
  std::set<std::pair<std::string, std::string>> keys_;  // the deliveries in attempts_
};

void PostgresStore::commit_grouped(const std::vector<QueuedWrite>& batch,
                                   std::vector<WriteResult>& results) {
  Transaction transaction(*writer_db_);
  Runs runs(*this);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (const auto* m = std::get_if<write::InsertMessage>(&batch[i].op)) {
      runs.add(*m, results[i]);
    } else if (const auto* a = std::get_if<write::RecordAttempt>(&batch[i].op)) {
      runs.add(*a, results[i]);
    } else {
      runs.flush();
      apply(batch[i].op, results[i]);
    }
  }
  runs.flush();
  before_commit();
  transaction.commit();
}

bool PostgresStore::commit_one_by_one(std::vector<QueuedWrite>& batch,
                                      std::vector<WriteResult>& results) {
  for (size_t i = 0; i < batch.size(); ++i) {
    std::vector<QueuedWrite> one;
    one.push_back(std::move(batch[i]));
    std::vector<WriteResult> one_result(1);
    const bool connected = commit_batch(one, one_result);
    batch[i] = std::move(one.front());
    results[i] = one_result.front();
    if (!connected) {
      for (size_t j = i + 1; j < batch.size(); ++j) {
        results[j] = {WriteStatus::kUnavailable, refusal_};
      }
      return false;
    }
  }
  return true;
}

void PostgresStore::lose_connection(const std::string& why) {
  spdlog::error("store: lost the database, refusing writes until it is back: {}", why);
  std::lock_guard lock(mu_);
  disconnected_ = true;
  refusal_ = "the database is unreachable: " + why;
  accepting_.store(false, std::memory_order_release);
  for (auto& queued : queue_) {
    if (queued.done) queued.done({WriteStatus::kUnavailable, refusal_});
  }
  queue_.clear();
}

bool PostgresStore::reconnect() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(options_.reconnect_interval_ms),
                       [&] { return closing_; })) {
        return false;
      }
    }
    if (!writer_db_->reset()) continue;
    spdlog::info("store: the database is back; accepting writes again");
    std::lock_guard lock(mu_);
    disconnected_ = false;
    refusal_.clear();
    accepting_.store(!closing_, std::memory_order_release);
    return !closing_;
  }
}

}  // namespace hookd::pg
