#include "store/wal_buffer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/scratch_dir.h"
#include "store/sqlite_db.h"

namespace hookd::sqlite {
namespace {

class WalBufferTest : public ::testing::Test {
 protected:
  // A writer as hookd's: the buffering VFS, WAL, synchronous=FULL. `cache_pages` small makes
  // SQLite spill pages to the WAL inside a transaction and read them back.
  std::unique_ptr<Connection> writer(int cache_pages = 2000) {
    auto db = std::make_unique<Connection>(path_, wal_buffer_vfs());
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA wal_autocheckpoint=0");
    db->exec(("PRAGMA cache_size=" + std::to_string(cache_pages)).c_str());
    return db;
  }
  std::unique_ptr<Connection> reader() { return std::make_unique<Connection>(path_); }

  static int64_t scalar(Connection& db, const char* sql) {
    Statement st(db.handle(), sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.column_int(0);
  }
  static std::string text(Connection& db, const char* sql) {
    Statement st(db.handle(), sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.column_text(0);
  }

  ScratchDir dir_{"hookd-walbuf-test"};
  std::string path_ = (dir_.path() / "t.db").string();
};

TEST_F(WalBufferTest, EveryCommitIsVisibleToAnotherConnectionAtOnce) {
  auto w = writer();
  w->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  auto r = reader();
  for (int i = 1; i <= 200; ++i) {
    Statement insert(w->handle(), "INSERT INTO t (k, v) VALUES (?1, ?2)");
    insert.bind(1, int64_t{i}).bind(2, std::string(static_cast<size_t>(100 + i * 7), 'x')).run();
    ASSERT_EQ(scalar(*r, "SELECT count(*) FROM t"), i);
    ASSERT_EQ(scalar(*r, "SELECT sum(length(v)) FROM t"), 100 * i + 7 * i * (i + 1) / 2);
  }
}

TEST_F(WalBufferTest, LargeSpillingTransactionsCommitAndRollBackIntact) {
  // A 2-page cache: SQLite writes pages to the WAL mid-transaction and reads them back, and
  // the transaction (several MB) is far larger than the buffer, so the buffer is written out
  // many times before the commit.
  auto w = writer(2);
  w->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  w->exec("CREATE INDEX t_v ON t (v)");
  w->exec("BEGIN");
  for (int i = 0; i < 3000; ++i) {
    Statement insert(w->handle(), "INSERT INTO t (k, v) VALUES (?1, ?2)");
    const std::string v = std::to_string(i * 7919 % 3001) + std::string(1000, 'v');
    insert.bind(1, int64_t{i}).bind(2, v).run();  // bound without a copy: v outlives run()
  }
  // Rewrites rows whose pages were spilled: they are read back from the WAL first.
  w->exec("UPDATE t SET v = 'u' || v WHERE k % 3 = 0");
  w->exec("COMMIT");

  w->exec("BEGIN");
  w->exec("DELETE FROM t WHERE k < 2000");
  w->exec("INSERT INTO t (k, v) SELECT k + 10000, v FROM t");
  w->exec("ROLLBACK");

  auto r = reader();
  EXPECT_EQ(scalar(*r, "SELECT count(*) FROM t"), 3000);
  EXPECT_EQ(scalar(*r, "SELECT count(*) FROM t WHERE v LIKE 'u%'"), 1000);
  EXPECT_EQ(text(*r, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(*w, "SELECT count(*) FROM t WHERE k >= 10000"), 0);
}

TEST_F(WalBufferTest, TheWalStartsOverAndEverythingSurvivesReopening) {
  {
    auto w = writer();
    w->exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    for (int round = 0; round < 3; ++round) {
      w->exec("BEGIN");
      for (int i = 0; i < 500; ++i) {
        Statement insert(w->handle(), "INSERT INTO t (v) VALUES (?1)");
        insert.bind(1, std::string(900, static_cast<char>('a' + round))).run();
      }
      w->exec("COMMIT");
      // Copies the WAL into the database and truncates it: the next commit writes a new WAL
      // header at offset 0, then frames after it.
      w->exec("PRAGMA wal_checkpoint(TRUNCATE)");
      EXPECT_EQ(std::filesystem::file_size(path_ + "-wal"), 0u);
    }
    w->exec("INSERT INTO t (v) VALUES ('last')");  // left in the WAL at close
  }
  auto r = reader();
  EXPECT_EQ(scalar(*r, "SELECT count(*) FROM t"), 1501);
  EXPECT_EQ(scalar(*r, "SELECT count(*) FROM t WHERE v = 'last'"), 1);
  EXPECT_EQ(scalar(*r, "SELECT count(DISTINCT substr(v, 1, 1)) FROM t WHERE v <> 'last'"), 3);
  EXPECT_EQ(text(*r, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace hookd::sqlite
