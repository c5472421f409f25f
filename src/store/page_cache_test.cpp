#include "store/page_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "store/scratch_dir.h"
#include "store/sqlite_db.h"

namespace hookd::sqlite {
namespace {

constexpr unsigned kLockPage4k = 0x40000000u / 4096 + 1;  // 262,145

class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_library();
    cache_ = m_.xCreate(4096, 64, 1);
    ASSERT_NE(cache_, nullptr);
    m_.xCachesize(cache_, 100);
  }
  void TearDown() override {
    if (cache_) m_.xDestroy(cache_);
  }
  sqlite3_pcache_page* fetch(unsigned key, int create = 0) {
    return m_.xFetch(cache_, key, create);
  }
  void unpin(sqlite3_pcache_page* page) { m_.xUnpin(cache_, page, 0); }

  const sqlite3_pcache_methods2& m_ = page_cache_methods();
  sqlite3_pcache* cache_ = nullptr;
};

TEST(PageCache, IsInstalledBeforeSqliteStarts) {
  initialize_library();
  EXPECT_TRUE(page_cache_installed());
}

TEST_F(PageCacheTest, PagesAreFoundUnderTheirNumbers) {
  sqlite3_pcache_page* pages[11] = {};
  for (unsigned key = 1; key <= 10; ++key) {
    pages[key] = fetch(key, 2);
    ASSERT_NE(pages[key], nullptr) << key;
  }
  for (unsigned key = 1; key <= 10; ++key) unpin(pages[key]);
  EXPECT_EQ(m_.xPagecount(cache_), 10);
  for (unsigned key = 1; key <= 10; ++key) {
    sqlite3_pcache_page* again = fetch(key);
    EXPECT_EQ(again, pages[key]) << key;
    if (again) unpin(again);
  }
  EXPECT_EQ(fetch(11), nullptr);
  EXPECT_EQ(fetch(0), nullptr);
}

TEST_F(PageCacheTest, ASwapThroughTheLockPageFindsEachPageWhereItWasMoved) {
  // What SQLite's B-tree does to put two new pages in ascending order: 3 -> lock page,
  // 7 -> 3, lock page -> 7.
  sqlite3_pcache_page* three = fetch(3, 2);
  sqlite3_pcache_page* seven = fetch(7, 2);
  ASSERT_NE(three, nullptr);
  ASSERT_NE(seven, nullptr);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  m_.xRekey(cache_, three, 3, kLockPage4k);
  EXPECT_EQ(fetch(kLockPage4k), three);
  EXPECT_EQ(fetch(3), nullptr);
  m_.xRekey(cache_, seven, 7, 3);
  m_.xRekey(cache_, three, kLockPage4k, 7);
  EXPECT_EQ(fetch(3), seven);
  EXPECT_EQ(fetch(7), three);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  unpin(three);
  unpin(seven);
  EXPECT_EQ(m_.xPagecount(cache_), 2);
}

TEST_F(PageCacheTest, TruncatingCutsThePagesFromTheLimitOnAfterASwap) {
  sqlite3_pcache_page* pages[13] = {};
  for (unsigned key = 1; key <= 12; ++key) {
    pages[key] = fetch(key, 2);
    ASSERT_NE(pages[key], nullptr);
  }
  m_.xRekey(cache_, pages[4], 4, kLockPage4k);
  m_.xRekey(cache_, pages[9], 9, 4);
  m_.xRekey(cache_, pages[4], kLockPage4k, 9);
  for (unsigned key = 1; key <= 12; ++key) unpin(pages[key]);
  m_.xTruncate(cache_, 8);  // keeps 1..7
  EXPECT_EQ(m_.xPagecount(cache_), 7);
  EXPECT_EQ(fetch(4), pages[9]);
  EXPECT_EQ(fetch(9), nullptr);
  EXPECT_EQ(fetch(12), nullptr);
  EXPECT_NE(fetch(7), nullptr);
}

TEST_F(PageCacheTest, DiscardingAPageAtTheLockPageRemovesIt) {
  // SQLite asked for the lock page itself only in a corrupt database: it takes the page from
  // the cache, finds the number refused and discards it.
  sqlite3_pcache_page* lock = fetch(kLockPage4k, 2);
  ASSERT_NE(lock, nullptr);
  m_.xUnpin(cache_, lock, 1);
  EXPECT_EQ(fetch(kLockPage4k), nullptr);
  EXPECT_EQ(m_.xPagecount(cache_), 0);
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
  EXPECT_EQ(m_.xFetch(small, kLockPage4k, 0), nullptr);
  sqlite3_pcache_page* ordinary = m_.xFetch(small, kLockPage4k, 2);
  ASSERT_NE(ordinary, nullptr);
  EXPECT_NE(ordinary, page);
  EXPECT_EQ(m_.xPagecount(small), 2);
  m_.xDestroy(small);
}

TEST(PageCache, ADatabaseWhosePagesAreRenumberedStaysIntact) {
  // Random inserts and deletes into an index split and merge its pages, taking new pages from
  // the free list in any order, so SQLite swaps page numbers through the lock page many times.
  ScratchDir dir("page-cache");
  const std::string path = (dir.path() / "t.db").string();
  std::mt19937_64 random(7);
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
      db.exec("COMMIT");
    }
  }
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
