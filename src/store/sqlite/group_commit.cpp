// The SQLite store's writer thread: the group commit. It takes everything queued, applies it in
// one transaction, commits (the WAL's fsync), and then runs the callbacks; after a failed
// commit it refuses writes, and after a full disk it probes until one of its commits lands.
// docs/storage-sqlite.md, "The writer: group commit".
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

void SqliteStore::writer_loop() {
  std::vector<QueuedWrite> batch;
  std::vector<WriteResult> results;
  for (;;) {
    if (recovery_.refusing() && !await_recovery()) return;
    if (!take_batch(batch)) return;
    results.assign(batch.size(), WriteResult{});
    const bool ok = commit_batch(batch, results);
    commits_.fetch_add(1, std::memory_order_release);
    checkpointer_.bound_wal(writer_db_->handle());
    if (!ok) refuse_writes();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(results[i]);
    }
    // After the callbacks, so that no acknowledgement waits for it.
    if (ok) message_index_->start_merge_when_due();
  }
}

bool SqliteStore::take_batch(std::vector<QueuedWrite>& batch) {
  std::unique_lock lock(mu_);
  writer_state_ = WriterState::kIdle;
  cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
  if (queue_.empty()) return false;  // closing and drained
  if (foreground_queued_ == 0 && queue_.size() < kGatherWrites && !closing_) {
    // Only attempt records, which nobody waits on: give them a moment to gather, so that a
    // commit's pages and its fsync serve many deliveries instead of a few.
    writer_state_ = WriterState::kGathering;
    cv_.wait_for(lock, kGatherWindow, [&] {
      return closing_ || foreground_queued_ > 0 || queue_.size() >= kGatherWrites;
    });
  }
  writer_state_ = WriterState::kBusy;
  // Everything queued so far shares this transaction.
  const size_t take = std::min(queue_.size(), kMaxBatch);
  batch.clear();
  for (size_t i = 0; i < take; ++i) {
    if (!is_background(queue_.front().op)) --foreground_queued_;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

bool SqliteStore::commit_batch(std::vector<QueuedWrite>& batch, std::vector<WriteResult>& results) {
  try {
    commit_grouped(batch, results);
    return true;
  } catch (const Error& e) {
    return commit_failed(e, batch, results);
  }
}

void SqliteStore::commit_grouped(const std::vector<QueuedWrite>& batch,
                                 std::vector<WriteResult>& results) {
  Transaction transaction(statements_->transaction);
  for (size_t i = 0; i < batch.size(); ++i) apply(batch[i].op, results[i]);
  message_index_->carry_chunk();
  rejection_log_->trim();
  transaction.commit();
  message_index_->committed();
}

// The transaction was rolled back (by SQLite, or by the Transaction as the error left it).
bool SqliteStore::commit_failed(const Error& e, std::vector<QueuedWrite>& batch,
                                std::vector<WriteResult>& results) {
  message_index_->rolled_back();
  rejection_log_->forget();
  // A full disk or an I/O error is the store's failure, not one write's.
  const int primary = e.code() & 0xff;
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    failure_code_ = e.code();
    failure_detail_ = std::string("commit failed: ") + e.what();
    spdlog::error("store: commit failed, refusing writes: {}", e.what());
    for (auto& r : results) r = {WriteStatus::kUnavailable, failure_detail_};
    return false;
  }
  if (batch.size() > 1) {
    // One write failed for a reason of its own: give each write its own transaction so the
    // others still land and only the faulty one is refused.
    spdlog::warn("store: grouped commit failed ({}); retrying writes one by one", e.what());
    return commit_one_by_one(batch, results);
  }
  spdlog::error("store: write refused: {}", e.what());
  results.front() = {WriteStatus::kUnavailable, std::string("write failed: ") + e.what()};
  return true;
}

bool SqliteStore::commit_one_by_one(std::vector<QueuedWrite>& batch,
                                    std::vector<WriteResult>& results) {
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

}  // namespace hookd::sqlite
