#include "delivery/target_resolver.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(UrlTarget, ReadsHostAndPortWithTheSchemesDefault) {
  auto t = url_target("https://example.com/hook");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "example.com");
  EXPECT_EQ(t->port, 443);
  t = url_target("http://user:pw@[::1]:8080/x");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(url_target("http://10.0.0.1/")->port, 80);
  EXPECT_FALSE(url_target("not a url").has_value());
}

TEST(TargetResolver, RefusesAHostWithARefusedAddress) {
  TargetResolver resolver;
  const AddressPolicy strict;
  auto r = resolver.resolve("localhost", strict, 0);
  EXPECT_EQ(r.status, ResolvedTarget::Status::kRefused);
  EXPECT_TRUE(r.address == "127.0.0.1" || r.address == "::1") << r.address;
  r = resolver.resolve("10.1.2.3", strict, 0);
  EXPECT_EQ(r.status, ResolvedTarget::Status::kRefused);
  EXPECT_EQ(r.address, "10.1.2.3");
}

TEST(TargetResolver, AllowsWhatThePolicyOpensAndNamesTheCheckedAddress) {
  TargetResolver resolver;
  const auto open = AddressPolicy::from_allow_list("127.0.0.0/8");
  ASSERT_TRUE(open) << open.problem().message();
  const auto r = resolver.resolve("127.0.0.1", *open, 0);
  EXPECT_EQ(r.status, ResolvedTarget::Status::kAllowed);
  EXPECT_EQ(r.address, "127.0.0.1");
  // The cache holds addresses, not verdicts: a stricter policy refuses the cached host.
  EXPECT_EQ(resolver.resolve("127.0.0.1", AddressPolicy(), 1).status,
            ResolvedTarget::Status::kRefused);
}

TEST(TargetResolver, ReportsANameThatDoesNotResolve) {
  TargetResolver resolver;
  const auto r = resolver.resolve("receiver.invalid", AddressPolicy(), 0);
  EXPECT_EQ(r.status, ResolvedTarget::Status::kUnresolved);
  EXPECT_NE(r.error.find("receiver.invalid"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace hookd
