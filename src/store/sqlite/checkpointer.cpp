#include "store/sqlite/checkpointer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace hookd::sqlite {

void Checkpointer::watch(Connection& writer) {
  // The pragma replaces the connection's WAL hook, so ours is installed after it.
  writer.exec("PRAGMA wal_autocheckpoint=0");
  sqlite3_wal_hook(writer.handle(), &Checkpointer::on_wal_commit, this);
}

void Checkpointer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-checkpt");
    loop();
  });
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

int Checkpointer::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  checkpointer->wal_pages_.store(pages, std::memory_order_relaxed);
  int& requested_at = checkpointer->requested_at_;
  if (pages < requested_at) requested_at = 0;  // the WAL started over
  if (pages - requested_at >= kCheckpointPages) {
    requested_at = pages;
    std::lock_guard lock(checkpointer->mu_);
    if (!checkpointer->wanted_) {
      checkpointer->wanted_ = true;
      checkpointer->cv_.notify_one();
    }
  }
  return SQLITE_OK;
}

void Checkpointer::bound_wal(sqlite3* writer) {
  if (wal_pages_.load(std::memory_order_relaxed) < kWriterCheckpointPages) return;
  sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  wal_pages_.store(0, std::memory_order_relaxed);
}

void Checkpointer::loop() {
  std::unique_ptr<Connection> connection;
  try {
    connection = std::make_unique<Connection>(path_);
    // The database file is fsync'd before the WAL is reused.
    connection->exec("PRAGMA synchronous=FULL");
  } catch (const Error& e) {
    // The writer's own checkpoints (bound_wal) still bound the WAL.
    spdlog::error("store: no checkpoint thread: {}", e.what());
    return;
  }
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return wanted_ || stop_; });
      if (stop_) return;
      wanted_ = false;
    }
    // Near the writer's threshold the writer copies the rest itself: a checkpoint running here
    // then would make the writer's fail (one checkpoint at a time) and the WAL grow past it.
    if (wal_pages_.load(std::memory_order_relaxed) >= kWriterCheckpointPages - kCheckpointPages) {
      continue;
    }
    // PASSIVE: copies what no reader still needs, never blocks the writer or the readers.
    const int rc = sqlite3_wal_checkpoint_v2(connection->handle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("store: checkpoint failed: {}", sqlite3_errmsg(connection->handle()));
    }
  }
}

}  // namespace hookd::sqlite
