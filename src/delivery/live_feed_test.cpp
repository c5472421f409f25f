#include "delivery/live_feed.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace hookd {
namespace {

LiveAttempt attempt(const std::string& app, const std::string& endpoint, const std::string& id) {
  LiveAttempt a;
  a.attempt.id = id;
  a.attempt.app_id = app;
  a.attempt.endpoint_id = endpoint;
  a.event_type = "cart.abandoned";
  return a;
}

std::vector<std::string> ids(LiveSubscription& s, size_t* dropped_out = nullptr) {
  size_t dropped = 0;
  std::vector<std::string> out;
  for (const auto& a : s.take(dropped)) out.push_back(a.attempt.id);
  if (dropped_out) *dropped_out = dropped;
  return out;
}

TEST(LiveFeedTest, ASubscriberGetsItsApplicationsOrEndpointsAttemptsOnly) {
  LiveFeed feed;
  EXPECT_FALSE(feed.active());
  auto app = feed.subscribe("app_1", "");
  auto endpoint = feed.subscribe("app_1", "ep_2");
  EXPECT_TRUE(feed.active());
  feed.publish(attempt("app_1", "ep_1", "a1"));
  feed.publish(attempt("app_2", "ep_2", "a2"));
  feed.publish(attempt("app_1", "ep_2", "a3"));
  EXPECT_EQ(ids(*app), (std::vector<std::string>{"a1", "a3"}));
  EXPECT_EQ(ids(*endpoint), (std::vector<std::string>{"a3"}));
  EXPECT_TRUE(ids(*app).empty());  // taken once
}

TEST(LiveFeedTest, TheWakerIsCalledWhenAnEmptyQueueGetsAnAttempt) {
  LiveFeed feed;
  auto s = feed.subscribe("app_1", "");
  int wakes = 0;
  s->on_ready([&] { ++wakes; });
  feed.publish(attempt("app_1", "ep", "a1"));
  feed.publish(attempt("app_1", "ep", "a2"));  // the queue was not empty: no second call
  EXPECT_EQ(wakes, 1);
  ids(*s);
  feed.publish(attempt("app_1", "ep", "a3"));
  EXPECT_EQ(wakes, 2);
  s->on_ready(nullptr);
  ids(*s);
  feed.publish(attempt("app_1", "ep", "a4"));
  EXPECT_EQ(wakes, 2);
}

TEST(LiveFeedTest, ASlowSubscriberLosesTheOldestAndIsToldHowMany) {
  LiveFeed feed(4, 3);
  auto s = feed.subscribe("app_1", "");
  for (int i = 0; i < 5; ++i) feed.publish(attempt("app_1", "ep", "a" + std::to_string(i)));
  size_t dropped = 0;
  EXPECT_EQ(ids(*s, &dropped), (std::vector<std::string>{"a2", "a3", "a4"}));
  EXPECT_EQ(dropped, 2u);
  ids(*s, &dropped);
  EXPECT_EQ(dropped, 0u);
}

TEST(LiveFeedTest, ClosedOrReleasedSubscriptionsFreeTheirPlace) {
  LiveFeed feed(2, 10);
  auto a = feed.subscribe("app_1", "");
  auto b = feed.subscribe("app_1", "");
  EXPECT_EQ(feed.subscribe("app_1", ""), nullptr);  // full
  a->close();
  feed.publish(attempt("app_1", "ep", "x"));
  EXPECT_TRUE(ids(*a).empty());  // closed: nothing arrives
  auto c = feed.subscribe("app_1", "");
  ASSERT_NE(c, nullptr);
  b.reset();
  c->close();
  feed.publish(attempt("app_1", "ep", "y"));
  EXPECT_FALSE(feed.active());
}

TEST(LiveFeedTest, PublishersOnManyThreadsLoseNothingBelowCapacity) {
  LiveFeed feed(4, 100'000);
  auto s = feed.subscribe("app_1", "");
  std::atomic<int> wakes{0};
  s->on_ready([&] { wakes.fetch_add(1); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&feed, t] {
      for (int i = 0; i < 1'000; ++i) feed.publish(attempt("app_1", "ep", std::to_string(t)));
    });
  }
  size_t seen = 0;
  while (seen < 4'000) seen += ids(*s).size();
  for (auto& t : threads) t.join();
  seen += ids(*s).size();
  EXPECT_EQ(seen, 4'000u);
  EXPECT_GE(wakes.load(), 1);
}

}  // namespace
}  // namespace hookd
