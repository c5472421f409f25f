#include "store/page_cache.h"

#include <atomic>
#include <cassert>
#include <mutex>
#include <new>

namespace hookd::sqlite {

namespace {

// SQLite's default: the lock page is the one holding byte 2^30 (sqlite3PendingByte, which only
// SQLite's test builds change; with another value the wrapper would only lose its benefit).
constexpr unsigned kLockByte = 0x40000000u;

std::atomic<uint64_t> renames{0};  // pages renamed to the lock page, over every slot

struct Cache {
  sqlite3_pcache* inner;
  unsigned lock_page;  // filed under key 0
};

Cache* of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

unsigned filed(const Cache* c, unsigned key) { return key == c->lock_page ? 0u : key; }

// The page cache's methods take no context but the cache, and xCreate not even that: each
// wrapped page cache is a set of functions of its own, around the inner methods of its slot.
// Slot 0 wraps SQLite's default page cache; tests wrap one of their own in slot 1.
template <int Slot>
struct Wrapper {
  static inline sqlite3_pcache_methods2 inner{};

  static int x_init(void* arg) { return inner.xInit ? inner.xInit(arg) : SQLITE_OK; }

  static void x_shutdown(void* arg) {
    if (inner.xShutdown) inner.xShutdown(arg);
  }

  static sqlite3_pcache* x_create(int page_size, int extra, int purgeable) {
    auto* c = new (std::nothrow) Cache{inner.xCreate(page_size, extra, purgeable), 0};
    if (!c) return nullptr;
    if (!c->inner) {
      delete c;
      return nullptr;
    }
    c->lock_page = page_size > 0 ? kLockByte / static_cast<unsigned>(page_size) + 1 : 0;
    return reinterpret_cast<sqlite3_pcache*>(c);
  }

  static void x_cachesize(sqlite3_pcache* p, int pages) { inner.xCachesize(of(p)->inner, pages); }

  static int x_pagecount(sqlite3_pcache* p) { return inner.xPagecount(of(p)->inner); }

  static sqlite3_pcache_page* x_fetch(sqlite3_pcache* p, unsigned key, int create) {
    Cache* c = of(p);
    return inner.xFetch(c->inner, filed(c, key), create);
  }

  static void x_unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
    inner.xUnpin(of(p)->inner, page, discard);
  }

  static void x_rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key,
                      unsigned new_key) {
    Cache* c = of(p);
    if (new_key == c->lock_page) renames.fetch_add(1, std::memory_order_relaxed);
    inner.xRekey(c->inner, page, filed(c, old_key), filed(c, new_key));
  }

  static void x_truncate(sqlite3_pcache* p, unsigned limit) {
    Cache* c = of(p);
#ifndef NDEBUG
    // SQLite's limit is at least 1, so a page under key 0 would never be cut: SQLite 3.40 files
    // a page there only between two renames of one B-tree balance, with nothing in between.
    if (sqlite3_pcache_page* stray = inner.xFetch(c->inner, 0, 0)) {
      inner.xUnpin(c->inner, stray, 0);
      assert(!"a page stayed at the lock page's number");
    }
#endif
    inner.xTruncate(c->inner, limit);
  }

  static void x_destroy(sqlite3_pcache* p) {
    Cache* c = of(p);
    inner.xDestroy(c->inner);
    delete c;
  }

  static void x_shrink(sqlite3_pcache* p) {
    if (inner.xShrink) inner.xShrink(of(p)->inner);
  }

  static sqlite3_pcache_methods2 methods() {
    sqlite3_pcache_methods2 w{};
    w.iVersion = 2;
    w.pArg = inner.pArg;  // the inner cache's xInit and xShutdown receive their own argument
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
  }
};

std::atomic<bool> installed{false};

// Reads the default page cache's methods once; SQLITE_CONFIG_GETPCACHE2 is refused after
// SQLite started, like every other configuration call.
bool load_default() {
  static std::once_flag once;
  static bool loaded = false;
  std::call_once(once, [] {
    loaded = sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &Wrapper<0>::inner) == SQLITE_OK &&
             Wrapper<0>::inner.xCreate;
  });
  return loaded;
}

}  // namespace

bool install_page_cache() {
  if (installed.load()) return true;
  if (!load_default()) return false;
  const sqlite3_pcache_methods2 m = Wrapper<0>::methods();
  if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &m) != SQLITE_OK) return false;
  installed.store(true);
  return true;
}

bool page_cache_installed() { return installed.load(); }

uint64_t lock_page_renames() { return renames.load(std::memory_order_relaxed); }

sqlite3_pcache_methods2 wrap_page_cache_for_test(const sqlite3_pcache_methods2& inner) {
  Wrapper<1>::inner = inner;
  return Wrapper<1>::methods();
}

}  // namespace hookd::sqlite
