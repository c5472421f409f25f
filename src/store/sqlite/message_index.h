#pragma once

// The per-application listing index of the SQLite store (message_apps) and its merge
// (docs/storage-sqlite.md, "The listing index and its merge"). New messages reach message_apps
// in batches sorted by application, so that an application's page is written once per batch;
// until then listing reads them from the messages above the mark (kUnmergedMessages). A merge
// commits its first chunk in a transaction of its own and the others with the next commits, a
// chunk each, so that it never holds the writer for the length of a commit of its own; the
// mark moves with the last chunk.
//
// Writer thread only: every call uses the writer's connection, most of them inside its open
// transaction.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/sqlite_db.h"

namespace hookd::sqlite {

class MessageIndex final {
 public:
  // `db`: the writer's connection, with the schema in place (store/sqlite/schema.h). A merge
  // starts once `batch` new messages are committed, and adds at least `chunk` rows a commit.
  MessageIndex(Connection& db, int batch, int chunk);

  // In the open transaction: a message was inserted with this rowid.
  void added(int64_t rowid, const std::string& app_id, const std::string& id) {
    added_.push_back({rowid, app_id, id});
  }
  // In the open transaction: messages were deleted, the newest of them with rowid
  // `newest_rowid` (INT64_MAX when unknown). Lowers the mark to the highest rowid left, and
  // stops the merge under way when it may hold a deleted message.
  void deleted(int64_t newest_rowid);
  // In the open transaction, after its writes: the next chunk of the merge under way, in a
  // savepoint, so that its failure stops the merge, not the transaction. Throws only when
  // SQLite rolled the whole transaction back.
  void carry_chunk();
  // The open transaction committed, or rolled back.
  void committed();
  void rolled_back();
  // After a commit and its acknowledgements: starts a merge once a batch of new messages is
  // committed and no merge is under way.
  void start_merge_when_due();

 private:
  struct Row {
    int64_t rowid;
    std::string app_id, id;
  };

  void start_merge();
  // Reads the rows above the mark from the table (after a restart, or a stopped merge).
  bool read_unmerged(std::vector<Row>& rows);
  // Adds the next rows of the merge to the open transaction; with its last rows, the mark.
  size_t merge_chunk();
  void settle(bool committed);
  int64_t lowest_held_rowid() const;

  // Constant after construction.
  Connection& db_;
  const int64_t batch_;
  const size_t chunk_;
  TransactionStatements transaction_;
  Statement index_message_, set_mark_, lower_mark_;
  Statement savepoint_, release_, rollback_to_;

  int64_t unmerged_count_ = 0;  // committed since the last merge started
  std::vector<Row> added_;      // inserted by the open transaction
  std::vector<Row> unmerged_;   // committed since the last merge started...
  bool unmerged_complete_;      // ...and all of them (false: read them from the table)
  std::vector<Row> merging_;    // the merge under way, sorted by (app_id, id)
  size_t merged_ = 0;           // how many of merging_ are committed
  size_t chunk_rows_ = 0;       // how many the open transaction adds
  int64_t merging_mark_ = 0;    // the highest rowid merging_ covers
  bool invalidated_ = false;    // messages were deleted: start the merge over
};

}  // namespace hookd::sqlite
