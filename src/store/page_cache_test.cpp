#include "store/page_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "store/scratch_dir.h"
#include "store/sqlite_db.h"

namespace hookd::sqlite {
namespace {

constexpr unsigned kLockPage4k = 0x40000000u / 4096 + 1;  // 262,145

// A page cache of its own for the wrapper to wrap: pages in a map by key, and a record of
// every key it was asked for.
struct Page {
  sqlite3_pcache_page head{};
  std::vector<char> buffer, extra;
};
struct RecordingCache {
  std::map<unsigned, std::unique_ptr<Page>> pages;
};
std::vector<unsigned> keys_seen;
RecordingCache* last_created = nullptr;

RecordingCache* rec(sqlite3_pcache* p) { return reinterpret_cast<RecordingCache*>(p); }

sqlite3_pcache_methods2 recording_methods() {
  sqlite3_pcache_methods2 m{};
  m.iVersion = 2;
  m.xCreate = [](int, int, int) {
    last_created = new RecordingCache;
    return reinterpret_cast<sqlite3_pcache*>(last_created);
  };
  m.xCachesize = [](sqlite3_pcache*, int) {};
  m.xPagecount = [](sqlite3_pcache* p) { return static_cast<int>(rec(p)->pages.size()); };
  m.xFetch = [](sqlite3_pcache* p, unsigned key, int create) -> sqlite3_pcache_page* {
    keys_seen.push_back(key);
    auto& slot = rec(p)->pages[key];
    if (!slot) {
      if (!create) {
        rec(p)->pages.erase(key);
        return nullptr;
      }
      slot = std::make_unique<Page>();
      slot->buffer.resize(16);
      slot->extra.resize(16);
      slot->head.pBuf = slot->buffer.data();
      slot->head.pExtra = slot->extra.data();
    }
    return &slot->head;
  };
  m.xUnpin = [](sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
    if (!discard) return;
    auto& pages = rec(p)->pages;
    for (auto it = pages.begin(); it != pages.end(); ++it) {
      if (&it->second->head == page) {
        pages.erase(it);
        return;
      }
    }
  };
  m.xRekey = [](sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned from, unsigned to) {
    keys_seen.push_back(from);
    keys_seen.push_back(to);
    auto& pages = rec(p)->pages;
    auto it = pages.find(from);
    ASSERT_NE(it, pages.end());
    ASSERT_EQ(&it->second->head, page);
    auto moved = std::move(it->second);
    pages.erase(it);
    pages[to] = std::move(moved);
  };
  m.xTruncate = [](sqlite3_pcache* p, unsigned limit) {
    auto& pages = rec(p)->pages;
    pages.erase(pages.lower_bound(limit), pages.end());
  };
  m.xDestroy = [](sqlite3_pcache* p) { delete rec(p); };
  return m;
}

class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_seen.clear();
    cache_ = m_.xCreate(4096, 64, 1);
    ASSERT_NE(cache_, nullptr);
    inner_ = last_created;
  }
  void TearDown() override {
    if (cache_) m_.xDestroy(cache_);
  }
  sqlite3_pcache_page* fetch(unsigned key, int create = 0) {
    return m_.xFetch(cache_, key, create);
  }
  RecordingCache& inner() { return *inner_; }
  unsigned highest_key_seen() const {
    return keys_seen.empty() ? 0 : *std::max_element(keys_seen.begin(), keys_seen.end());
  }

  const sqlite3_pcache_methods2 m_ = wrap_page_cache_for_test(recording_methods());
  sqlite3_pcache* cache_ = nullptr;
  RecordingCache* inner_ = nullptr;  // the page cache the wrapper wraps
};

TEST_F(PageCacheTest, ASwapThroughTheLockPageNeverReachesTheInnerCacheUnderThatNumber) {
  // What SQLite's B-tree does to put two new pages in ascending order: 3 -> lock page,
  // 7 -> 3, lock page -> 7.
  sqlite3_pcache_page* three = fetch(3, 2);
  sqlite3_pcache_page* seven = fetch(7, 2);
  ASSERT_NE(three, nullptr);
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  m_.xRekey(cache_, three, 3, kLockPage4k);
  EXPECT_EQ(fetch(kLockPage4k), three);
  EXPECT_EQ(inner().pages.count(0), 1u);  // filed under 0
  EXPECT_EQ(fetch(3), nullptr);
  m_.xRekey(cache_, seven, 7, 3);
  m_.xRekey(cache_, three, kLockPage4k, 7);
  EXPECT_EQ(fetch(3), seven);
  EXPECT_EQ(fetch(7), three);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  EXPECT_EQ(inner().pages.count(0), 0u);
  EXPECT_EQ(m_.xPagecount(cache_), 2);
  EXPECT_EQ(highest_key_seen(), 7u);  // the inner cache's highest number stays the real one
}

TEST_F(PageCacheTest, TruncatingPassesTheLimitOn) {
  for (unsigned key = 1; key <= 12; ++key) ASSERT_NE(fetch(key, 2), nullptr);
  m_.xTruncate(cache_, 8);
  EXPECT_EQ(m_.xPagecount(cache_), 7);
  EXPECT_NE(fetch(7), nullptr);
  EXPECT_EQ(fetch(8), nullptr);
  EXPECT_EQ(highest_key_seen(), 12u);
}

TEST_F(PageCacheTest, DiscardingAPageFetchedAtTheLockPageRemovesIt) {
  // SQLite asks for the lock page itself only in a corrupt database: it takes the page from
  // the cache, finds the number refused and discards it.
  sqlite3_pcache_page* lock = fetch(kLockPage4k, 2);
  ASSERT_NE(lock, nullptr);
  m_.xUnpin(cache_, lock, 1);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  EXPECT_TRUE(inner().pages.empty());
  EXPECT_EQ(highest_key_seen(), 0u);
}

TEST_F(PageCacheTest, OtherPageSizesHaveTheirOwnLockPage) {
  sqlite3_pcache* small = m_.xCreate(1024, 64, 1);
  ASSERT_NE(small, nullptr);
  const unsigned lock_1k = 0x40000000u / 1024 + 1;
  sqlite3_pcache_page* page = m_.xFetch(small, 5, 2);
  ASSERT_NE(page, nullptr);
  m_.xRekey(small, page, 5, lock_1k);
  EXPECT_EQ(m_.xFetch(small, lock_1k, 0), page);
  // 262,145 is an ordinary page number with 1 KB pages.
  sqlite3_pcache_page* ordinary = m_.xFetch(small, kLockPage4k, 2);
  ASSERT_NE(ordinary, nullptr);
  EXPECT_NE(ordinary, page);
  EXPECT_EQ(m_.xPagecount(small), 2);
  EXPECT_NE(std::find(keys_seen.begin(), keys_seen.end(), kLockPage4k), keys_seen.end());
  EXPECT_EQ(std::find(keys_seen.begin(), keys_seen.end(), lock_1k), keys_seen.end());
  m_.xDestroy(small);
}

TEST(PageCache, IsInstalledBeforeSqliteStarts) {
  initialize_library();
  EXPECT_TRUE(page_cache_installed());
}

TEST(PageCache, ADatabaseWhosePagesAreRenumberedThroughTheLockPageStaysIntact) {
  // Random inserts and deletes into an index split and merge its pages, taking new pages from
  // the free list in any order, so SQLite swaps page numbers through the lock page: through the
  // installed wrapper, which counts them.
  ScratchDir dir("page-cache");
  const std::string path = (dir.path() / "t.db").string();
  std::mt19937_64 random(7);
  const uint64_t renames_before = lock_page_renames();
  {
    Connection db(path);
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID");
    Statement insert(db.handle(), "INSERT OR REPLACE INTO t (k, v) VALUES (?1, zeroblob(?2))");
    Statement remove(db.handle(), "DELETE FROM t WHERE k >= ?1 AND k < ?2");
    for (int round = 0; round < 40; ++round) {
      db.exec("BEGIN");
      for (int i = 0; i < 500; ++i) {
        const std::string key = std::to_string(random() % 100'000);  // bound without a copy
        insert.bind(1, key).bind(2, static_cast<int64_t>(100 + random() % 400));
        insert.run();
      }
      const std::string from = std::to_string(random() % 100'000);
      const std::string to = from + "5";
      remove.bind(1, from).bind(2, to);
      remove.run();
      // Every fourth round is undone: pages renamed in it go back with the rollback.
      db.exec(round % 4 == 3 ? "ROLLBACK" : "COMMIT");
    }
  }
  EXPECT_GT(lock_page_renames(), renames_before + 100);
  Connection db(path);
  Statement check(db.handle(), "PRAGMA integrity_check");
  ASSERT_TRUE(check.step());
  EXPECT_EQ(check.column_text(0), "ok");
  Statement count(db.handle(), "SELECT count(*) FROM t");
  ASSERT_TRUE(count.step());
  EXPECT_GT(count.column_int(0), 10'000);
}

}  // namespace
}  // namespace hookd::sqlite
