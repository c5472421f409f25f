#include "store/sqlite/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <new>

#include "store/sqlite_db.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kName = "hookd-fault";
constexpr int kNoFault = -1;

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs vfs{};
std::atomic<int> armed{kNoFault};  // a WalFault, or kNoFault
std::atomic<int> struck{0};

// Our file: the real file object lives right after it (szOsFile is the sum of both).
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  bool wal;
};

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods& methods_of(sqlite3_file* f) { return *self(f)->real->pMethods; }

// Disarms and returns the armed fault when it is `a` or `b` and `f` is a WAL file; otherwise
// kNoFault.
int strike(sqlite3_file* f, WalFault a, WalFault b) {
  if (!self(f)->wal) return kNoFault;
  int fault = armed.load();
  if (fault != static_cast<int>(a) && fault != static_cast<int>(b)) return kNoFault;
  if (!armed.compare_exchange_strong(fault, kNoFault)) return kNoFault;
  struck.fetch_add(1);
  return fault;
}

int x_close(sqlite3_file* f) {
  const int rc = methods_of(f).xClose(self(f)->real);
  self(f)->~File();
  return rc;
}
int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return methods_of(f).xRead(self(f)->real, out, amount, offset);
}
int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  const int fault = strike(f, WalFault::kWriteError, WalFault::kDiskFull);
  if (fault == static_cast<int>(WalFault::kDiskFull)) return SQLITE_FULL;
  if (fault == static_cast<int>(WalFault::kWriteError)) return SQLITE_IOERR_WRITE;
  return methods_of(f).xWrite(self(f)->real, data, amount, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return methods_of(f).xTruncate(self(f)->real, size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (strike(f, WalFault::kSyncError, WalFault::kSyncError) != kNoFault) {
    return SQLITE_IOERR_FSYNC;
  }
  return methods_of(f).xSync(self(f)->real, flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return methods_of(f).xFileSize(self(f)->real, size);
}
int x_lock(sqlite3_file* f, int level) { return methods_of(f).xLock(self(f)->real, level); }
int x_unlock(sqlite3_file* f, int level) { return methods_of(f).xUnlock(self(f)->real, level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return methods_of(f).xCheckReservedLock(self(f)->real, out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return methods_of(f).xFileControl(self(f)->real, op, arg);
}
int x_sector_size(sqlite3_file* f) { return methods_of(f).xSectorSize(self(f)->real); }
int x_device_characteristics(sqlite3_file* f) {
  return methods_of(f).xDeviceCharacteristics(self(f)->real);
}
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return methods_of(f).xShmMap(self(f)->real, region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return methods_of(f).xShmLock(self(f)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { methods_of(f).xShmBarrier(self(f)->real); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return methods_of(f).xShmUnmap(self(f)->real, delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return methods_of(f).xFetch(self(f)->real, offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* pointer) {
  return methods_of(f).xUnfetch(self(f)->real, offset, pointer);
}

// One table per io_methods version, so SQLite never calls a method the real file lacks.
constexpr sqlite3_io_methods methods(int version) {
  return {version,
          x_close,
          x_read,
          x_write,
          x_truncate,
          x_sync,
          x_file_size,
          x_lock,
          x_unlock,
          x_check_reserved_lock,
          x_file_control,
          x_sector_size,
          x_device_characteristics,
          x_shm_map,
          x_shm_lock,
          x_shm_barrier,
          x_shm_unmap,
          x_fetch,
          x_unfetch};
}
const sqlite3_io_methods kMethods[3] = {methods(1), methods(2), methods(3)};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = new (file) File{};
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    // SQLite calls xClose only on a file whose pMethods is set.
    if (f->real->pMethods) f->real->pMethods->xClose(f->real);
    f->~File();
    file->pMethods = nullptr;
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  const int version = f->real->pMethods->iVersion;
  f->base.pMethods = &kMethods[version < 1 ? 0 : version > 3 ? 2 : version - 1];
  return SQLITE_OK;
}

}  // namespace

const char* fault_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    initialize_library();  // before registering, which initializes SQLite
    real_vfs = sqlite3_vfs_find(nullptr);
    // Everything but opening a file is the real VFS's own: a copy of it, renamed.
    vfs = *real_vfs;
    vfs.iVersion = 2;  // no xSetSystemCall and friends: they are for SQLite's own tests
    vfs.szOsFile = static_cast<int>(sizeof(File)) + real_vfs->szOsFile;
    vfs.pNext = nullptr;
    vfs.zName = kName;
    vfs.xOpen = x_open;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kName;
}

void inject_wal_fault(WalFault fault) { armed.store(static_cast<int>(fault)); }

int wal_faults_struck() { return struck.load(); }

}  // namespace hookd::sqlite
