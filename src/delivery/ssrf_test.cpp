#include "delivery/ssrf.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(AddressPolicy, RefusesPrivateAndSpecialAddressesByDefault) {
  const AddressPolicy policy;
  for (const char* host : {"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
                           "100.64.0.1", "0.0.0.0", "::1", "[::1]", "fe80::1", "fd00::1",
                           "::ffff:127.0.0.1", "::ffff:10.1.2.3", "224.0.0.1"}) {
    EXPECT_EQ(policy.permits_literal(host), false) << host;
  }
  for (const char* host : {"8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1"}) {
    EXPECT_EQ(policy.permits_literal(host), true) << host;
  }
  EXPECT_FALSE(policy.permits_literal("example.com").has_value());
}

TEST(AddressPolicy, AllowListOpensChosenNetworksOnly) {
  std::string error;
  const auto policy = AddressPolicy::from_allow_list("127.0.0.0/8, ::1", &error);
  ASSERT_TRUE(policy.has_value()) << error;
  EXPECT_EQ(policy->permits_literal("127.0.0.1"), true);
  EXPECT_EQ(policy->permits_literal("127.9.9.9"), true);
  EXPECT_EQ(policy->permits_literal("::1"), true);
  EXPECT_EQ(policy->permits_literal("10.0.0.1"), false);
  EXPECT_EQ(policy->permits_literal("169.254.169.254"), false);
}

TEST(AddressPolicy, RejectsBadAllowList) {
  std::string error;
  EXPECT_FALSE(AddressPolicy::from_allow_list("127.0.0.0/33", &error));
  EXPECT_NE(error.find("127.0.0.0/33"), std::string::npos);
  EXPECT_FALSE(AddressPolicy::from_allow_list("localhost", &error));
  EXPECT_TRUE(AddressPolicy::from_allow_list("", &error).has_value());
}

TEST(Cidr, MatchesPrefixes) {
  const auto net = Cidr::parse("192.168.0.0/16");
  ASSERT_TRUE(net.has_value());
  const auto inside = Cidr::parse("192.168.200.7");
  const auto outside = Cidr::parse("192.169.0.1");
  EXPECT_TRUE(net->contains(inside->address));
  EXPECT_FALSE(net->contains(outside->address));
}

}  // namespace
}  // namespace hookd
