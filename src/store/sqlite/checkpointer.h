#pragma once

// Checkpoints of the SQLite store: copying WAL frames into the database file (and that file's
// fsync) on a thread of its own, hookd-checkpt, so that no commit waits for them, while the WAL
// stays bounded (docs/storage-sqlite.md, "Checkpoints"). The store's owner thread constructs,
// starts and stops it; watch() and bound_wal() are for the writer thread.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.h"

namespace hookd::sqlite {

// Shared by the writer thread and the checkpoint thread.
class Checkpointer final {
 public:
  // New WAL pages between two requests to the checkpoint thread: not one per commit, since
  // each checkpoint ends with an fsync of the database file.
  static constexpr int kCheckpointPages = 250;
  // About 32 MB of WAL: the writer copies the rest itself between two commits.
  static constexpr int kWriterCheckpointPages = 8000;

  // `path`: the database file, which the checkpoint thread opens a connection of its own to.
  explicit Checkpointer(std::string path) : path_(std::move(path)) {}
  ~Checkpointer() { stop(); }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Turns SQLite's own checkpoints off on the writer's connection (they would run at the end
  // of a commit) and has SQLite report the WAL's size here after each commit.
  void watch(Connection& writer);
  void start();
  // Writer thread, between two commits. Under steady writes the checkpoint thread never
  // catches up with the WAL's end, and a WAL starts over only once it was copied to its end:
  // past kWriterCheckpointPages the writer copies the last stretch itself.
  void bound_wal(sqlite3* writer);
  // Joins the checkpoint thread. Idempotent.
  void stop();

 private:
  // Called by SQLite on the writer thread after each commit, with the WAL's size in pages.
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void loop();

  // Constant after construction.
  const std::string path_;
  // The WAL's size after the last commit: written by the writer thread, read by the checkpoint
  // thread.
  std::atomic<int> wal_pages_{0};
  int requested_at_ = 0;  // the WAL's size when a checkpoint was last asked for; writer only
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;  // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd::sqlite
