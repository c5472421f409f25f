#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

// What inbound traffic leaves in the SQLite store, and its bounds: the rejection log (a sample
// of the newest rejections per source, and counts per source and reason that keep counting)
// and retention of inbound events and rejections (docs/inbound.md). Functions that take the
// writer's connection run on the writer thread inside its open transaction; the others take a
// reader's connection, on any thread that holds it.
namespace hookd::inbound_rows {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS inbound_rejection_counts (
  source_id TEXT NOT NULL, reason TEXT NOT NULL, count INTEGER NOT NULL, last_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, reason)) WITHOUT ROWID;
)sql";

// Deleting a source (?1: its id) or an application (?1: its id) deletes their counts too.
constexpr const char* kDeleteCountsOfSource =
    "DELETE FROM inbound_rejection_counts WHERE source_id = ?1";
constexpr const char* kDeleteCountsOfApp =
    "DELETE FROM inbound_rejection_counts WHERE source_id IN (SELECT id FROM sources WHERE "
    "app_id = ?1)";

// The rejection log's writes. Writer thread only.
class RejectionLog final {
 public:
  RejectionLog(sqlite3* writer, int sample);

  // Stores the rejection and counts it, in the open transaction.
  void record(const InboundRejection& rejection);
  // Just before the open transaction commits: every source recorded since the last trim keeps
  // its newest `sample` rows. Once per commit rather than per row, so that a flood of refused
  // requests costs one walk over a source's sample per commit.
  void trim();
  // The open transaction rolled back.
  void forget() { touched_.clear(); }

 private:
  const int sample_;
  sqlite::Statement insert_, count_, trim_;
  std::vector<std::string> touched_;  // sources recorded in the open transaction
};

std::vector<InboundRejection> list_rejections(sqlite3* reader, const std::string& source_id,
                                              const Page& page);
std::vector<RejectionCount> rejection_counts(sqlite3* reader, const std::string& source_id);

// Retention, in the writer's open transaction: up to `limit` rejections received before
// `before` (unix ms), and per source up to `limit` events first and last received before it.
// Returns the most rows one of those deletions removed (`limit`: there may be more).
int64_t prune(sqlite3* writer, int64_t before, int limit);

}  // namespace hookd::inbound_rows
