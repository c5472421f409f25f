// Tests of the libpq wrapper (store/postgres/pg.h) against a real server: prepared statements
// and the pipeline that send() opens. Skipped without HOOKD_TEST_POSTGRES.
#include <gtest/gtest.h>

#include "store/postgres/test_database.h"

namespace hookd {
namespace {

int64_t count_prepared(pg::Connection& db, const std::string& sql) {
  return db
      .exec("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
            pg::Params().add(sql))
      .int64(0, 0);
}

TEST_F(PostgresTest, PreparesAStatementOnceAndAgainAfterAReconnect) {
  pg::Connection db(url_);
  const std::string sql = "SELECT $1::int + 1";
  EXPECT_EQ(db.exec(sql, pg::Params().add(int64_t{1})).int64(0, 0), 2);
  EXPECT_EQ(db.exec(sql, pg::Params().add(int64_t{2})).int64(0, 0), 3);
  EXPECT_EQ(count_prepared(db, sql), 1);
  EXPECT_EQ(db.exec("SHOW plan_cache_mode").text(0, 0), "force_custom_plan");
  ASSERT_TRUE(db.reset());  // a new session knows none of the old one's statements
  EXPECT_EQ(db.exec(sql, pg::Params().add(int64_t{3})).int64(0, 0), 4);
  EXPECT_EQ(count_prepared(db, sql), 1);
}

TEST_F(PostgresTest, SentStatementsRunInOrderWithTheNextExec) {
  pg::Connection db(url_);
  db.exec("CREATE TABLE t (n int)");
  {
    pg::Transaction tx(db);
    db.send("INSERT INTO t VALUES ($1)", pg::Params().add(int64_t{1}));
    db.send("INSERT INTO t VALUES ($1)", pg::Params().add(int64_t{2}));
    EXPECT_EQ(db.exec("SELECT count(*) FROM t").int64(0, 0), 2);
    db.send("UPDATE t SET n = n * 10");
    tx.commit();
  }
  EXPECT_EQ(db.exec("SELECT sum(n) FROM t").int64(0, 0), 30);
  EXPECT_EQ(count_prepared(db, "INSERT INTO t VALUES ($1)"), 1);
}

TEST_F(PostgresTest, ASentStatementsErrorIsThrownByTheNextExecAndRollsBack) {
  pg::Connection db(url_);
  db.exec("CREATE TABLE t (n int PRIMARY KEY)");
  try {
    pg::Transaction tx(db);
    db.send("INSERT INTO t VALUES (1)");
    db.send("INSERT INTO t VALUES (1)");  // a duplicate key
    db.send("INSERT INTO t VALUES (2)");  // never runs: the pipeline is aborted
    db.exec("SELECT 1");
    FAIL() << "the duplicate key was not reported";
  } catch (const pg::Error& e) {
    EXPECT_EQ(e.sqlstate(), "23505") << e.what();
  }
  // The transaction rolled back and the connection works as before.
  EXPECT_EQ(db.exec("SELECT count(*) FROM t").int64(0, 0), 0);
  EXPECT_TRUE(db.ok());
}

TEST_F(PostgresTest, AStatementThatFailsToPrepareInAPipelineIsNotKeptAsPrepared) {
  pg::Connection db(url_);
  const std::string bad = "SELECT * FROM missing_table";
  db.send(bad);
  EXPECT_THROW(db.exec("SELECT 1"), pg::Error);
  EXPECT_EQ(count_prepared(db, bad), 0);
  db.exec("CREATE TABLE missing_table (n int)");
  EXPECT_EQ(db.exec(bad).rows(), 0);  // prepared afresh, now that the table exists
}

}  // namespace
}  // namespace hookd
