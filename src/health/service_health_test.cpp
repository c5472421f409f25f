#include "health/service_health.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

using Reasons = std::vector<std::string>;

TEST(ServiceHealthTest, HealthyWithoutReasons) {
  ServiceHealth health;
  EXPECT_TRUE(degraded_reasons("", &health).empty());
  EXPECT_TRUE(degraded_reasons("", nullptr).empty());
}

TEST(ServiceHealthTest, AFailedLoaderPassDegradesUntilTheNextGoodOne) {
  ServiceHealth health;
  health.set_failing("loader", "database disk image is malformed");
  EXPECT_EQ(degraded_reasons("", &health), Reasons{"loader: database disk image is malformed"});
  health.set_failing("loader", "disk I/O error");  // the latest reason replaces the earlier one
  EXPECT_EQ(health.reasons(), Reasons{"loader: disk I/O error"});
  health.set_ok("loader");
  EXPECT_TRUE(degraded_reasons("", &health).empty());
}

TEST(ServiceHealthTest, TheStoreWriterComesFirstThenComponentsByName) {
  ServiceHealth health;
  health.set_failing("loader", "b");
  health.set_failing("archiver", "a");
  EXPECT_EQ(degraded_reasons("commit failed: database or disk is full", &health),
            (Reasons{"store writer: commit failed: database or disk is full", "archiver: a",
                     "loader: b"}));
  health.set_ok("archiver");
  health.set_ok("nobody");  // clearing what never failed changes nothing
  EXPECT_EQ(degraded_reasons("", &health), Reasons{"loader: b"});
}

}  // namespace
}  // namespace hookd
