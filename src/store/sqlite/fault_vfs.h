#pragma once

// For tests: a SQLite VFS that wraps the default one and, when told to, fails the next write or
// sync of a WAL file the way a disk or file system does (after Beast's fail_count and leveldb's
// fault_injection_test). A store's writer opens its database through it by name
// (SqliteOptions::vfs_name). Any thread may arm a fault; SQLite calls the VFS on the thread of
// the connection that uses it.

namespace hookd::sqlite {

enum class WalFault {
  kWriteError,  // xWrite fails with SQLITE_IOERR_WRITE
  kSyncError,   // xSync fails with SQLITE_IOERR_FSYNC
  kDiskFull,    // xWrite fails with SQLITE_FULL, as the unix VFS reports ENOSPC
};

// Registers the VFS with SQLite on the first call (not as the default); returns its name.
const char* fault_vfs();

// Arms one fault: the next matching call on a WAL file opened through the VFS fails, and the
// calls after it pass through again.
void inject_wal_fault(WalFault fault);

// How many armed faults have struck since the process started.
int wal_faults_struck();

}  // namespace hookd::sqlite
