#include "store/page_cache.h"

#include <atomic>
#include <mutex>
#include <new>

namespace hookd::sqlite {

namespace {

// SQLite's default: the lock page is the one holding byte 2^30 (sqlite3PendingByte, which only
// SQLite's test builds change).
constexpr unsigned kLockByte = 0x40000000u;

sqlite3_pcache_methods2 inner{};  // the default page cache, set once before SQLite starts
std::atomic<bool> installed{false};

struct Cache {
  sqlite3_pcache* inner;
  unsigned lock_page;  // filed under key 0
};

Cache* of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

unsigned filed(const Cache* c, unsigned key) { return key == c->lock_page ? 0u : key; }

int x_init(void* arg) { return inner.xInit ? inner.xInit(arg) : SQLITE_OK; }

void x_shutdown(void* arg) {
  if (inner.xShutdown) inner.xShutdown(arg);
}

sqlite3_pcache* x_create(int page_size, int extra, int purgeable) {
  auto* c = new (std::nothrow) Cache{inner.xCreate(page_size, extra, purgeable), 0};
  if (!c) return nullptr;
  if (!c->inner) {
    delete c;
    return nullptr;
  }
  c->lock_page = page_size > 0 ? kLockByte / static_cast<unsigned>(page_size) + 1 : 0;
  return reinterpret_cast<sqlite3_pcache*>(c);
}

void x_cachesize(sqlite3_pcache* p, int pages) { inner.xCachesize(of(p)->inner, pages); }

int x_pagecount(sqlite3_pcache* p) { return inner.xPagecount(of(p)->inner); }

sqlite3_pcache_page* x_fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = of(p);
  return inner.xFetch(c->inner, filed(c, key), create);
}

void x_unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  inner.xUnpin(of(p)->inner, page, discard);
}

void x_rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = of(p);
  inner.xRekey(c->inner, page, filed(c, old_key), filed(c, new_key));
}

void x_truncate(sqlite3_pcache* p, unsigned limit) {
  // SQLite always passes a limit of at least 1, so a page filed under 0 (only ever the lock
  // page, briefly, during a swap) is not cut here; SQLite renames it before it lets go of it.
  inner.xTruncate(of(p)->inner, limit);
}

void x_destroy(sqlite3_pcache* p) {
  Cache* c = of(p);
  inner.xDestroy(c->inner);
  delete c;
}

void x_shrink(sqlite3_pcache* p) {
  if (inner.xShrink) inner.xShrink(of(p)->inner);
}

const sqlite3_pcache_methods2& methods() {
  static const sqlite3_pcache_methods2 m = [] {
    sqlite3_pcache_methods2 w{};
    w.iVersion = 2;
    w.xInit = x_init;
    w.xShutdown = x_shutdown;
    w.xCreate = x_create;
    w.xCachesize = x_cachesize;
    w.xPagecount = x_pagecount;
    w.xFetch = x_fetch;
    w.xUnpin = x_unpin;
    w.xRekey = x_rekey;
    w.xTruncate = x_truncate;
    w.xDestroy = x_destroy;
    w.xShrink = x_shrink;
    return w;
  }();
  return m;
}

// Reads the default page cache's methods once; SQLITE_CONFIG_GETPCACHE2 is refused after
// SQLite started, like every other configuration call.
bool load_inner() {
  static std::once_flag once;
  static bool loaded = false;
  std::call_once(once, [] {
    loaded = sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) == SQLITE_OK && inner.xCreate;
  });
  return loaded;
}

}  // namespace

bool install_page_cache() {
  if (installed.load()) return true;
  if (!load_inner()) return false;
  sqlite3_pcache_methods2 m = methods();
  m.pArg = inner.pArg;  // the default cache's xInit and xShutdown receive their own argument
  if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &m) != SQLITE_OK) return false;
  installed.store(true);
  return true;
}

bool page_cache_installed() { return installed.load(); }

const sqlite3_pcache_methods2& page_cache_methods() {
  load_inner();
  return methods();
}

}  // namespace hookd::sqlite
