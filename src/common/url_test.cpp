#include "common/url.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

TEST(RedactUrl, HidesThePasswordOfTheUserinfo) {
  EXPECT_EQ(redact_url("https://user:pa55@example.com/hook?x=1"),
            "https://user:***@example.com/hook?x=1");
  EXPECT_EQ(redact_url("http://a:b:c@[::1]:8080"), "http://a:***@[::1]:8080");
  // A password holding '@' (as libcurl reads it: up to the last '@' before the path).
  EXPECT_EQ(redact_url("https://u:p@ss@example.com/"), "https://u:***@example.com/");
}

TEST(RedactUrl, HidesAUserinfoWithoutPasswordWhichMayBeAToken) {
  EXPECT_EQ(redact_url("https://tok_123@example.com/"), "https://***@example.com/");
}

TEST(RedactUrl, LeavesOtherTextAlone) {
  EXPECT_EQ(redact_url("https://example.com/a@b"), "https://example.com/a@b");
  EXPECT_EQ(redact_url("https://example.com/?to=a@b.c"), "https://example.com/?to=a@b.c");
  EXPECT_EQ(redact_url("not a url @ all"), "not a url @ all");
  EXPECT_EQ(redact_url(""), "");
}

}  // namespace
}  // namespace hookd
