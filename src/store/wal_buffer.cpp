#include "store/wal_buffer.h"

#include <sqlite3.h>

#include <mutex>
#include <new>
#include <vector>

#include "store/sqlite_db.h"

namespace hookd::sqlite {

namespace {

constexpr const char* kName = "hookd-walbuf";
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length with 0x1ffff):
// a buffer never grows past that, and a longer write goes to the file as it is.
constexpr size_t kMaxBuffered = 124 << 10;

sqlite3_vfs* real_vfs = nullptr;

// Our file: the real file object lives right after it (szOsFile is the sum of both).
struct File {
  sqlite3_file base;
  sqlite3_file* real;
  bool buffering;  // a WAL file
  sqlite3_int64 start = 0;
  std::vector<char> bytes;  // what is to be written at `start`
};

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods& real_methods(File* f) { return *f->real->pMethods; }
// Where the buffered bytes end in the file.
sqlite3_int64 buffered_end(const File* f) {
  return f->start + static_cast<sqlite3_int64>(f->bytes.size());
}

int flush(File* f) {
  if (f->bytes.empty()) return SQLITE_OK;
  const int rc =
      real_methods(f).xWrite(f->real, f->bytes.data(), static_cast<int>(f->bytes.size()), f->start);
  f->bytes.clear();
  return rc;
}

int x_close(sqlite3_file* file) {
  File* f = self(file);
  const int flushed = flush(f);
  const int rc = real_methods(f).xClose(f->real);
  f->~File();
  return flushed != SQLITE_OK ? flushed : rc;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  File* f = self(file);
  if (!f->bytes.empty() && offset < buffered_end(f) && offset + amount > f->start) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  }
  return real_methods(f).xRead(f->real, out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = self(file);
  if (!f->buffering) return real_methods(f).xWrite(f->real, data, amount, offset);
  const auto size = static_cast<size_t>(amount);
  const bool follows = !f->bytes.empty() && offset == buffered_end(f);
  if (!follows || f->bytes.size() + size > kMaxBuffered) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (size > kMaxBuffered) return real_methods(f).xWrite(f->real, data, amount, offset);
    f->start = offset;
  }
  const auto* bytes = static_cast<const char*>(data);
  f->bytes.insert(f->bytes.end(), bytes, bytes + size);
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = self(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xTruncate(f->real, size);
}

int x_sync(sqlite3_file* file, int flags) {
  File* f = self(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xSync(f->real, flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  File* f = self(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFileSize(f->real, size);
}

int x_lock(sqlite3_file* file, int level) {
  File* f = self(file);
  return real_methods(f).xLock(f->real, level);
}

int x_unlock(sqlite3_file* file, int level) {
  File* f = self(file);
  return real_methods(f).xUnlock(f->real, level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  File* f = self(file);
  return real_methods(f).xCheckReservedLock(f->real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  File* f = self(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFileControl(f->real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
  File* f = self(file);
  return real_methods(f).xSectorSize(f->real);
}

int x_device_characteristics(sqlite3_file* file) {
  File* f = self(file);
  return real_methods(f).xDeviceCharacteristics(f->real);
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  File* f = self(file);
  return real_methods(f).xShmMap(f->real, region, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  File* f = self(file);
  return real_methods(f).xShmLock(f->real, offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) {
  File* f = self(file);
  real_methods(f).xShmBarrier(f->real);
}

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  File* f = self(file);
  return real_methods(f).xShmUnmap(f->real, delete_flag);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = self(file);
  if (const int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f).xFetch(f->real, offset, amount, out);
}

int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* pointer) {
  File* f = self(file);
  return real_methods(f).xUnfetch(f->real, offset, pointer);
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
  f->buffering = (flags & SQLITE_OPEN_WAL) != 0;
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

int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, size, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void x_dl_error(sqlite3_vfs*, int size, char* out) { real_vfs->xDlError(real_vfs, size, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int x_randomness(sqlite3_vfs*, int size, char* out) {
  return real_vfs->xRandomness(real_vfs, size, out);
}
int x_sleep(sqlite3_vfs*, int micros) { return real_vfs->xSleep(real_vfs, micros); }
int x_current_time(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int x_get_last_error(sqlite3_vfs*, int size, char* out) {
  return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, size, out) : 0;
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

sqlite3_vfs vfs{};

}  // namespace

const char* wal_buffer_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    initialize_library();  // before registering, which initializes SQLite
    real_vfs = sqlite3_vfs_find(nullptr);
    vfs.iVersion = 2;  // no xSetSystemCall and friends: they are for SQLite's own tests
    vfs.szOsFile = static_cast<int>(sizeof(File)) + real_vfs->szOsFile;
    vfs.mxPathname = real_vfs->mxPathname;
    vfs.zName = kName;
    vfs.xOpen = x_open;
    vfs.xDelete = x_delete;
    vfs.xAccess = x_access;
    vfs.xFullPathname = x_full_pathname;
    vfs.xDlOpen = x_dl_open;
    vfs.xDlError = x_dl_error;
    vfs.xDlSym = x_dl_sym;
    vfs.xDlClose = x_dl_close;
    vfs.xRandomness = x_randomness;
    vfs.xSleep = x_sleep;
    vfs.xCurrentTime = x_current_time;
    vfs.xGetLastError = x_get_last_error;
    vfs.xCurrentTimeInt64 = x_current_time_int64;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kName;
}

}  // namespace hookd::sqlite
