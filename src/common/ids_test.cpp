#include "common/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/time.h"

namespace hookd {
namespace {

TEST(Ids, CarryPrefixAndFixedLength) {
  const auto id = new_id("msg_");
  ASSERT_TRUE(id.starts_with("msg_"));
  EXPECT_EQ(id.size(), 4u + 22u);
}

TEST(Ids, SortInCreationOrderAndNeverRepeat) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 20000; ++i) {
    auto id = new_id("ep_");
    EXPECT_LT(previous, id);
    EXPECT_TRUE(seen.insert(id).second);
    previous = std::move(id);
  }
}

TEST(Ids, EncodeTheirCreationTime) {
  const int64_t before = now_unix_ms();
  const auto id = new_id("app_");
  const int64_t after = now_unix_ms();
  const int64_t t = id_time_ms(id);
  EXPECT_GE(t, before);
  EXPECT_LE(t, after);
  EXPECT_EQ(id_time_ms("app_short"), -1);
  EXPECT_EQ(id_time_ms("app_!!!!!!!!!!!!!!!!!!!!!!"), -1);
}

TEST(Ids, OrderFollowsTimeAcrossEncodings) {
  EXPECT_LT(make_id("x_", 1000, 0xFFFF, ~0ULL), make_id("x_", 1001, 0, 0));
  EXPECT_LT(make_id("x_", 1000, 0, 5), make_id("x_", 1000, 0, 6));
  EXPECT_EQ(id_time_ms(make_id("x_", 1234567, 1, 2)), 1234567);
}

TEST(Ids, EncodeAllBitsInBase62) {
  EXPECT_EQ(make_id("x_", 0, 0, 0), "x_0000000000000000000000");
  EXPECT_EQ(make_id("x_", 1, 0, 61), "x_0000000062iEp5bu9VZbtV");
  EXPECT_EQ(make_id("x_", 1795668261000, 0x1234, 0x0123456789ABCDEFULL),
            "x_035467aWeNNCXdEfVWTOL1");
  EXPECT_EQ(make_id("x_", 0xFFFFFFFFFFFF, 0xFFFF, ~0ULL), "x_7n42DGM5Tflk9n8mt7Fhc7");
}

}  // namespace
}  // namespace hookd
