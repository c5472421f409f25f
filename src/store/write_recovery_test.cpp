#include "store/write_recovery.h"

#include <gtest/gtest.h>

#include "store/scratch_dir.h"

namespace hookd {
namespace {

TEST(WriteRecoveryTest, OnlyAFullDiskIsRecoverable) {
  EXPECT_TRUE(WriteRecovery::recoverable(SQLITE_FULL));
  EXPECT_TRUE(WriteRecovery::recoverable(SQLITE_IOERR_SHMSIZE));
  EXPECT_FALSE(WriteRecovery::recoverable(SQLITE_IOERR));
  EXPECT_FALSE(WriteRecovery::recoverable(SQLITE_IOERR_FSYNC));
  EXPECT_FALSE(WriteRecovery::recoverable(SQLITE_IOERR_WRITE));
  EXPECT_FALSE(WriteRecovery::recoverable(SQLITE_CORRUPT));
}

TEST(WriteRecoveryTest, AFullDiskIsProbedEverySecondUntilAProbeLands) {
  WriteRecovery r;
  EXPECT_FALSE(r.refusing());
  r.failed(10'000, true, "commit failed: database or disk is full");
  EXPECT_TRUE(r.refusing());
  EXPECT_TRUE(r.will_probe());
  EXPECT_EQ(r.next_probe_ms(), 11'000);
  r.probed(11'000, false);
  EXPECT_TRUE(r.refusing());
  EXPECT_EQ(r.next_probe_ms(), 12'000);
  r.probed(12'000, true);
  EXPECT_FALSE(r.refusing());
  EXPECT_TRUE(r.reason().empty());
}

TEST(WriteRecoveryTest, ARelapseSoonAfterARecoveryDoublesTheDelay) {
  WriteRecovery r;
  r.failed(0, true, "full");
  r.probed(1'000, true);
  r.failed(2'000, true, "full");  // within the relapse window
  EXPECT_EQ(r.probe_delay_ms(), 2'000);
  r.probed(4'000, true);
  r.failed(5'000, true, "full");
  EXPECT_EQ(r.probe_delay_ms(), 4'000);
  for (int i = 0; i < 10; ++i) {
    r.probed(r.next_probe_ms(), true);
    r.failed(r.next_probe_ms() + 1, true, "full");
  }
  EXPECT_EQ(r.probe_delay_ms(), WriteRecovery::kMaxProbeDelayMs);
  r.probed(r.next_probe_ms(), true);
  r.failed(r.next_probe_ms() + WriteRecovery::kRelapseWindowMs, true, "full");  // long after
  EXPECT_EQ(r.probe_delay_ms(), WriteRecovery::kFirstProbeDelayMs);
}

TEST(WriteRecoveryTest, AnIoErrorIsFinal) {
  WriteRecovery r;
  r.failed(0, false, "commit failed: disk I/O error");
  EXPECT_TRUE(r.refusing());
  EXPECT_FALSE(r.will_probe());
  EXPECT_EQ(r.reason(), "commit failed: disk I/O error");
}

TEST(WriteRecoveryTest, AProbeCommitsWhereTheDiskHasRoom) {
  ScratchDir dir("hookd-probe-test");
  const std::string path = (dir.path() / "probe.db").string();
  sqlite::Connection db(path);
  std::string error;
  EXPECT_TRUE(probe_write(db, path, error)) << error;
  EXPECT_TRUE(probe_write(db, path, error)) << error;  // and again, over its own row
}

}  // namespace
}  // namespace hookd
