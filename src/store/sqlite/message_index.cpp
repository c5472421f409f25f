#include "store/sqlite/message_index.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "store/sqlite/schema.h"

namespace hookd::sqlite {

MessageIndex::MessageIndex(Connection& db, int batch, int chunk)
    : db_(db),
      batch_(batch),
      chunk_(static_cast<size_t>(std::max(1, chunk))),
      transaction_(db.handle()),
      index_message_(db.handle(),
                     "INSERT OR IGNORE INTO message_apps (app_id, id) VALUES (?1, ?2)"),
      set_mark_(db.handle(), "UPDATE store_meta SET value = ?1 WHERE key = 'message_apps_rowid'"),
      // SQLite gives a new row the highest rowid plus one, so once the newest rows are gone a
      // new message could get a rowid at or below the mark, and listing would never see it.
      lower_mark_(db.handle(),
                  "UPDATE store_meta SET value = min(value, (SELECT coalesce(max(rowid), 0) FROM "
                  "messages)) WHERE key = 'message_apps_rowid'"),
      savepoint_(db.handle(), "SAVEPOINT merge"),
      release_(db.handle(), "RELEASE merge"),
      rollback_to_(db.handle(), "ROLLBACK TO merge") {
  Statement unmerged(db.handle(), std::string("SELECT count(*) FROM ") + kUnmergedMessages);
  unmerged.step();
  unmerged_count_ = unmerged.column_int(0);
  // Rows from before this start are above the mark: the first merge reads them.
  unmerged_complete_ = unmerged_count_ == 0;
}

void MessageIndex::deleted(int64_t newest_rowid) {
  lower_mark_.run();
  // Retention deletes the oldest messages, nearly always below every row a merge holds (those
  // are above the mark): only a deleted row at or above the lowest of them stops the merge.
  if (newest_rowid >= lowest_held_rowid()) invalidated_ = true;
}

void MessageIndex::carry_chunk() {
  chunk_rows_ = 0;
  if (merging_.empty() || invalidated_) return;
  savepoint_.run();
  try {
    chunk_rows_ = merge_chunk();
    release_.run();
  } catch (const Error& e) {
    invalidated_ = true;  // the next merge reads what is above the mark again
    chunk_rows_ = 0;
    // SQLite rolls the whole transaction back itself on some errors (I/O, memory): then the
    // transaction has failed too, and the error is its own.
    if (sqlite3_get_autocommit(db_.handle())) throw;
    rollback_to_.run();
    release_.run();
    spdlog::warn("store: merging new messages into message_apps failed: {}", e.what());
  }
}

void MessageIndex::committed() {
  unmerged_count_ += static_cast<int64_t>(added_.size());
  if (unmerged_complete_) {
    unmerged_.insert(unmerged_.end(), std::make_move_iterator(added_.begin()),
                     std::make_move_iterator(added_.end()));
  }
  added_.clear();
  settle(true);
}

void MessageIndex::rolled_back() {
  added_.clear();
  settle(false);
}

void MessageIndex::start_merge_when_due() {
  if (merging_.empty() && unmerged_count_ >= batch_) start_merge();
}

void MessageIndex::start_merge() {
  // On failure too: the next try comes a batch later, not at every commit.
  unmerged_count_ = 0;
  std::vector<Row> rows;
  if (unmerged_complete_) {
    rows.swap(unmerged_);
  } else if (!read_unmerged(rows)) {
    return;
  }
  if (rows.empty()) return;
  merging_mark_ = 0;
  for (const auto& r : rows) merging_mark_ = std::max(merging_mark_, r.rowid);
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.app_id, a.id) < std::tie(b.app_id, b.id);
  });
  merging_ = std::move(rows);
  merged_ = 0;
  try {
    Transaction transaction(transaction_);
    chunk_rows_ = merge_chunk();
    transaction.commit();
  } catch (const Error& e) {
    // Nothing is lost: listing reads unmerged messages from the table until a later merge.
    spdlog::warn("store: merging new messages into message_apps failed: {}", e.what());
    merging_.clear();
    unmerged_complete_ = false;
    return;
  }
  settle(true);
}

bool MessageIndex::read_unmerged(std::vector<Row>& rows) {
  try {
    Statement read(db_.handle(), std::string("SELECT rowid, app_id, id FROM ") + kUnmergedMessages +
                                     " ORDER BY rowid");
    while (read.step()) {
      rows.push_back({read.column_int(0), read.column_text(1), read.column_text(2)});
    }
  } catch (const Error& e) {
    spdlog::warn("store: reading new messages for message_apps failed: {}", e.what());
    return false;
  }
  unmerged_.clear();
  unmerged_complete_ = true;
  return true;
}

// At least twice as many rows as the transaction added messages, so that merges outpace a
// stream of large commits instead of growing with each.
size_t MessageIndex::merge_chunk() {
  const size_t n = std::min(std::max(chunk_, 2 * added_.size()), merging_.size() - merged_);
  for (size_t i = merged_; i < merged_ + n; ++i) {
    index_message_.bind(1, merging_[i].app_id).bind(2, merging_[i].id).run();
  }
  if (merged_ + n == merging_.size()) set_mark_.bind(1, merging_mark_).run();
  return n;
}

void MessageIndex::settle(bool committed) {
  const size_t chunk_rows = chunk_rows_;
  chunk_rows_ = 0;
  if (invalidated_) {
    // Messages were deleted: the rows in hand may name some of them. Later merges read what is
    // above the mark from the table again (rows already merged are ignored then).
    invalidated_ = false;
    merging_.clear();
    unmerged_.clear();
    unmerged_complete_ = false;
    return;
  }
  if (!committed) return;
  merged_ += chunk_rows;
  if (merged_ >= merging_.size()) merging_.clear();
}

int64_t MessageIndex::lowest_held_rowid() const {
  int64_t lowest = INT64_MAX;
  for (const auto* rows : {&merging_, &unmerged_, &added_}) {
    for (const auto& r : *rows) lowest = std::min(lowest, r.rowid);
  }
  // Rows above the mark that are not in hand are read from the table by the next merge.
  return lowest;
}

}  // namespace hookd::sqlite
