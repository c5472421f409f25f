// The PostgreSQL store's writer thread: the group commit. It takes everything queued, applies
// it in one transaction, commits (PostgreSQL flushes its WAL: synchronous_commit=on), and then
// runs the callbacks. A lost connection refuses the batch and the writes after it until the
// writer has connected again.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

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

void PostgresStore::commit_grouped(const std::vector<QueuedWrite>& batch,
                                   std::vector<WriteResult>& results) {
  Transaction transaction(*writer_db_);
  std::vector<const write::InsertMessage*> messages;
  std::vector<WriteResult*> message_results;
  size_t message_bytes = 0;
  const auto flush = [&] {
    if (!messages.empty()) apply_messages(messages, message_results);
    messages.clear();
    message_results.clear();
    message_bytes = 0;
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    if (const auto* m = std::get_if<write::InsertMessage>(&batch[i].op)) {
      messages.push_back(m);
      message_results.push_back(&results[i]);
      message_bytes += m->message->payload.size();
      if (message_bytes >= kMaxMessageBytes) flush();
      continue;
    }
    flush();  // writes keep their order
    apply(batch[i].op, results[i]);
  }
  flush();
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
