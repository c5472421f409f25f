#include "store/write_recovery.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hookd {

bool WriteRecovery::recoverable(int sqlite_code) {
  // SQLITE_FULL: a write found no room (ENOSPC); IOERR_SHMSIZE: the WAL index could not grow
  // for the same reason. Both happen before the commit's frame is written, never after it.
  return (sqlite_code & 0xff) == SQLITE_FULL || sqlite_code == SQLITE_IOERR_SHMSIZE;
}

void WriteRecovery::failed(int64_t now_ms, bool recoverable, std::string reason) {
  const bool relapse = now_ms - recovered_at_ms_ < kRelapseWindowMs;
  delay_ms_ = relapse ? std::min(kMaxProbeDelayMs, delay_ms_ * 2) : kFirstProbeDelayMs;
  refusing_ = true;
  recoverable_ = recoverable;
  reason_ = std::move(reason);
  next_probe_ms_ = now_ms + delay_ms_;
}

void WriteRecovery::probed(int64_t now_ms, bool ok) {
  if (!ok) {
    next_probe_ms_ = now_ms + delay_ms_;
    return;
  }
  refusing_ = false;
  reason_.clear();
  recovered_at_ms_ = now_ms;
}

bool probe_write(sqlite::Connection& db, const std::string& path, std::string& error) {
  struct statvfs fs {};
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) {
    error = std::string("statvfs: ") + std::strerror(errno);
    return false;
  }
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < kProbeFreeBytes) {
    error = std::to_string(free_bytes) + " bytes free";
    return false;
  }
  try {
    sqlite::TransactionStatements statements(db.handle());
    sqlite::Transaction transaction(statements);
    db.exec(
        "CREATE TABLE IF NOT EXISTS store_probe (id INTEGER PRIMARY KEY, pad BLOB NOT NULL); "
        "INSERT OR REPLACE INTO store_probe (id, pad) VALUES (1, zeroblob(65536))");
    transaction.commit();
    return true;
  } catch (const sqlite::Error& e) {
    error = e.what();
    return false;
  }
}

}  // namespace hookd
