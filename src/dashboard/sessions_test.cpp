#include "dashboard/sessions.h"

#include <gtest/gtest.h>

namespace hookd::dashboard {
namespace {

TEST(SessionsTest, ASessionKeepsItsSecretAndCsrfToken) {
  Sessions sessions;
  const auto opened = sessions.open("appsk_secret", 1'000);
  EXPECT_EQ(opened.id.size(), 64u);
  EXPECT_EQ(opened.csrf.size(), 64u);
  EXPECT_NE(opened.id, opened.csrf);
  const auto found = sessions.find(opened.id, 2'000);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->secret, "appsk_secret");
  EXPECT_EQ(found->csrf, opened.csrf);
  EXPECT_FALSE(sessions.find("not-a-session", 2'000));
  EXPECT_NE(sessions.open("appsk_secret", 1'000).id, opened.id);
}

TEST(SessionsTest, AnIdleSessionEndsAndAUsedOneLastsUntilItsLifetime) {
  Sessions sessions(SessionLimits{.idle_ms = 100, .lifetime_ms = 250, .max_sessions = 10});
  const auto idle = sessions.open("a", 0);
  const auto used = sessions.open("b", 0);
  EXPECT_TRUE(sessions.find(used.id, 90));
  EXPECT_TRUE(sessions.find(used.id, 180));   // idle 90 ms: lasts
  EXPECT_FALSE(sessions.find(idle.id, 180));  // idle 180 ms: ended
  EXPECT_TRUE(sessions.find(used.id, 240));
  EXPECT_FALSE(sessions.find(used.id, 250));  // its lifetime is over, however used
  EXPECT_EQ(sessions.size(), 0u);
}

TEST(SessionsTest, CloseEndsTheSession) {
  Sessions sessions;
  const auto opened = sessions.open("a", 0);
  sessions.close(opened.id);
  sessions.close(opened.id);  // twice is harmless
  EXPECT_FALSE(sessions.find(opened.id, 1));
}

TEST(SessionsTest, AFullTableDropsTheLeastRecentlyUsedSession) {
  Sessions sessions(SessionLimits{.idle_ms = 1'000, .lifetime_ms = 10'000, .max_sessions = 3});
  const auto first = sessions.open("1", 0);
  const auto second = sessions.open("2", 10);
  const auto third = sessions.open("3", 20);
  EXPECT_TRUE(sessions.find(first.id, 30));  // the first is now the most recently used
  const auto fourth = sessions.open("4", 40);
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_FALSE(sessions.find(second.id, 50));
  EXPECT_TRUE(sessions.find(first.id, 50));
  EXPECT_TRUE(sessions.find(third.id, 50));
  EXPECT_TRUE(sessions.find(fourth.id, 50));
}

TEST(SessionsTest, TheCookieIsHttpOnlyAndStrict) {
  EXPECT_EQ(session_cookie("abc", false), "hookd_session=abc; Path=/; HttpOnly; SameSite=Strict");
  EXPECT_EQ(session_cookie("abc", true),
            "hookd_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(cleared_session_cookie(false),
            "hookd_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(SessionsTest, TheSessionIsFoundAmongOtherCookies) {
  EXPECT_EQ(session_in_cookies("hookd_session=abc"), "abc");
  EXPECT_EQ(session_in_cookies("a=1; hookd_session=abc; b=2"), "abc");
  EXPECT_EQ(session_in_cookies("a=1;hookd_session=abc"), "abc");
  EXPECT_EQ(session_in_cookies("xhookd_session=abc"), "");
  EXPECT_EQ(session_in_cookies("hookd_sessionx=abc"), "");
  EXPECT_EQ(session_in_cookies("hookd_session"), "");
  EXPECT_EQ(session_in_cookies(""), "");
  EXPECT_EQ(session_in_cookies(";;; "), "");
}

}  // namespace
}  // namespace hookd::dashboard
