#pragma once

#include <cstdint>
#include <string>

#include "store/sqlite_db.h"

// When a store that refused writes after a failed commit tries again (docs/failures.md, "When
// the store fails"). A full disk is recoverable: SQLite rolled the failed transaction back, and
// every write it held was answered "unavailable", so nothing acknowledged is missing. The store
// probes the disk with a small commit of its own and accepts writes again once one lands. Any
// other commit failure (an fsync or I/O error: what reached the disk is unknown) is final.
namespace hookd {

// Writer thread only.
class WriteRecovery final {
 public:
  static constexpr int64_t kFirstProbeDelayMs = 1'000;
  static constexpr int64_t kMaxProbeDelayMs = 60'000;
  // A failure this soon after a recovery doubles the delay before the next probe, so that a
  // disk with only a little room again does not swing between accepting and refusing.
  static constexpr int64_t kRelapseWindowMs = 60'000;

  // Whether a commit that failed with this SQLite result code may be retried once a probe
  // shows the disk takes writes again.
  static bool recoverable(int sqlite_code);

  // A commit failed at `now_ms` (steady clock).
  void failed(int64_t now_ms, bool recoverable, std::string reason);
  // A probe ran at `now_ms`; `ok`: it committed, and writes are accepted again.
  void probed(int64_t now_ms, bool ok);

  bool refusing() const { return refusing_; }
  bool will_probe() const { return refusing_ && recoverable_; }
  int64_t next_probe_ms() const { return next_probe_ms_; }
  int64_t probe_delay_ms() const { return delay_ms_; }
  const std::string& reason() const { return reason_; }

 private:
  bool refusing_ = false;
  bool recoverable_ = false;
  std::string reason_;
  int64_t delay_ms_ = kFirstProbeDelayMs;
  int64_t next_probe_ms_ = 0;
  int64_t recovered_at_ms_ = INT64_MIN / 2;
};

// Free space the file system holding the database must have before a probe is tried. A probe
// alone can land on a full disk: a WAL that started over is written over in place.
constexpr uint64_t kProbeFreeBytes = 1 << 20;

// Whether the disk takes writes again: the file system of `path` (the database file) has
// kProbeFreeBytes free, and a small commit of the probe's own (about 64 KiB) lands on `db`, the
// writer's connection. False, with the reason, otherwise.
bool probe_write(sqlite::Connection& db, const std::string& path, std::string& error);

}  // namespace hookd
