#pragma once

// The SQLite store: hookd's default Store (store/store.h), one database file with a writer
// thread and a pool of reader connections. open_sqlite_store may be called from any thread; the
// Store it returns is thread-safe, as store.h says.
//
// How it keeps the durability contract of store.h: the database is in WAL mode with
// synchronous=FULL, so a commit returns once its frames are fsync'd to the WAL, and a write's
// callback runs only after the commit that carried it. A commit that fails for want of room
// (SQLITE_FULL) was rolled back by SQLite and is recoverable; any other I/O error (a failed
// write or fsync of the WAL) leaves the store refusing writes until it is opened again.
// docs/storage-sqlite.md tells how the engine is used and why.

#include <cstddef>
#include <memory>
#include <string>

#include "common/secret_box.h"
#include "store/store.h"

namespace hookd {

struct SqliteOptions {
  std::string path;   // the database file; created when missing
  SecretBox secrets;  // seals the secrets of endpoint and source documents (store/documents.h)
  int reader_connections = 4;
  size_t max_queued_writes = 200'000;  // beyond this, writes complete with kUnavailable
  // New messages reach the per-application listing index (message_apps) in batches of this
  // many, sorted by application; until then listing reads them from the table's newest rows.
  // A batch is added over several commits, this many rows with each.
  int message_index_batch = 16'384;
  int message_index_chunk = 256;
  // Rejected inbound requests kept per source, the newest; older ones are deleted as new ones
  // come (the counts per reason keep counting).
  int rejection_sample = 1'000;
  // The registered SQLite VFS the writer's connection opens the database through; empty: the
  // WAL buffer (store/wal_buffer.h). For tests that inject faults (store/sqlite/fault_vfs.h).
  std::string vfs_name;
};

std::unique_ptr<Store> open_sqlite_store(const SqliteOptions& options);

}  // namespace hookd
