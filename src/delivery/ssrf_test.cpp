#include "delivery/ssrf.h"

#include <arpa/inet.h>
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

TEST(AddressPolicy, RefusesIpv6FormsThatEmbedARefusedIpv4Address) {
  const AddressPolicy policy;
  for (const char* host :
       {"[::127.0.0.1]", "::10.0.0.1", "::8.8.8.8",             // IPv4-compatible: refused whole
        "::ffff:169.254.169.254",                               // IPv4-mapped
        "64:ff9b::7f00:1", "64:ff9b::808:808",                  // NAT64 well-known prefix: whole
        "64:ff9b:1::a00:1", "64:ff9b:1:ffff::808:808",          // NAT64 local-use prefix: whole
        "2002:7f00:1::1", "2002:a00:1::", "2002:a9fe:a9fe::1",  // 6to4 of a refused v4
        // Teredo: client 127.0.0.1 (stored inverted), and server 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:a00:1:8000:63bf:f7f7:f7f7"}) {
    EXPECT_EQ(policy.permits_literal(host), false) << host;
  }
  // The same forms of public addresses are allowed.
  for (const char* host :
       {"2002:808:808::1", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", "::ffff:8.8.8.8"}) {
    EXPECT_EQ(policy.permits_literal(host), true) << host;
  }
}

TEST(AddressPolicy, ChecksEmbeddedIpv4AtConnectTime) {
  const AddressPolicy policy;
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::127.0.0.1", &v6.sin6_addr), 1);
  EXPECT_FALSE(policy.permits(reinterpret_cast<const sockaddr*>(&v6)));
  ASSERT_EQ(inet_pton(AF_INET6, "2002:c0a8:101::1", &v6.sin6_addr), 1);
  EXPECT_FALSE(policy.permits(reinterpret_cast<const sockaddr*>(&v6)));
  ASSERT_EQ(inet_pton(AF_INET6, "2606:4700::1111", &v6.sin6_addr), 1);
  EXPECT_TRUE(policy.permits(reinterpret_cast<const sockaddr*>(&v6)));
}

TEST(AddressPolicy, AnEmbeddedIpv4AddressIsOpenedByTheAllowList) {
  const auto policy = AddressPolicy::from_allow_list("10.0.0.0/8");
  ASSERT_TRUE(policy) << policy.problem().message();
  EXPECT_EQ(policy->permits_literal("2002:a00:1::1"), true);
  EXPECT_EQ(policy->permits_literal("2002:7f00:1::1"), false);
}

TEST(AddressPolicy, AllowListOpensChosenNetworksOnly) {
  const auto policy = AddressPolicy::from_allow_list("127.0.0.0/8, ::1");
  ASSERT_TRUE(policy) << policy.problem().message();
  EXPECT_EQ(policy->permits_literal("127.0.0.1"), true);
  EXPECT_EQ(policy->permits_literal("127.9.9.9"), true);
  EXPECT_EQ(policy->permits_literal("::1"), true);
  EXPECT_EQ(policy->permits_literal("10.0.0.1"), false);
  EXPECT_EQ(policy->permits_literal("169.254.169.254"), false);
}

TEST(AddressPolicy, RejectsBadAllowList) {
  const auto bad_prefix = AddressPolicy::from_allow_list("10.0.0.0/8, 127.0.0.0/33");
  ASSERT_FALSE(bad_prefix);
  EXPECT_EQ(bad_prefix.problem().message(), "not a CIDR: 127.0.0.0/33");
  EXPECT_FALSE(AddressPolicy::from_allow_list("localhost"));
  EXPECT_TRUE(AddressPolicy::from_allow_list(""));
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
