#include "delivery/endpoint_queues.h"

#include <gtest/gtest.h>

namespace hookd {
namespace {

DeliveryJob due_at(int64_t at) {
  DeliveryJob job;
  job.endpoint_id = "ep";
  job.due_at = at;
  return job;
}

TEST(EndpointQueue, BatchIsFullOnlyWhileWaitingForOne) {
  EndpointQueue queue;
  queue.batch_max = 2;
  queue.ready.push_back(due_at(0));
  queue.ready.push_back(due_at(0));
  EXPECT_FALSE(queue.batch_full());
  queue.batch_wait = true;
  EXPECT_TRUE(queue.batch_full());
  queue.batch_max = 3;
  EXPECT_FALSE(queue.batch_full());
}

TEST(EndpointQueue, CapDefaultsUntilFirstStart) {
  EndpointQueue queue;
  EXPECT_EQ(queue.cap_or(32), 32);
  queue.cap = 2;
  EXPECT_EQ(queue.cap_or(32), 2);
}

TEST(RetryTimers, DueFirstOnTop) {
  RetryTimers timers;
  timers.push(due_at(30));
  timers.push(due_at(10));
  timers.push(due_at(20));
  EXPECT_EQ(timers.top().due_at, 10);
  timers.pop();
  EXPECT_EQ(timers.top().due_at, 20);
}

TEST(EndpointQueues, WakeListsOnce) {
  EndpointQueues queues;
  EndpointQueue& a = queues.get("a");
  queues.wake(a, "a");
  queues.wake(a, "a");
  EXPECT_TRUE(a.listed);
  ASSERT_TRUE(queues.has_runnable());
  EXPECT_EQ(queues.pop_runnable(), "a");
  EXPECT_FALSE(queues.has_runnable());
}

TEST(EndpointQueues, DeferredQueueWakesOnlyWithAFullBatch) {
  EndpointQueues queues;
  EndpointQueue& a = queues.get("a");
  queues.defer(a, "a", 100);
  queues.wake(a, "a");
  EXPECT_FALSE(queues.has_runnable());
  a.batch_wait = true;
  a.batch_max = 1;
  a.ready.push_back(due_at(0));
  queues.wake(a, "a");
  EXPECT_TRUE(a.listed);
  EXPECT_FALSE(a.deferred);
  EXPECT_FALSE(a.batch_wait);
  EXPECT_EQ(queues.pop_runnable(), "a");
}

TEST(EndpointQueues, UndeferListsQueuesWithReadyJobsInTimeOrder) {
  EndpointQueues queues;
  EndpointQueue& a = queues.get("a");
  EndpointQueue& b = queues.get("b");
  EndpointQueue& empty = queues.get("empty");
  a.ready.push_back(due_at(0));
  b.ready.push_back(due_at(0));
  queues.defer(a, "a", 200);
  queues.defer(b, "b", 100);
  queues.defer(a, "a", 50);  // deferred already: the first wait stands
  queues.defer(empty, "empty", 100);
  ASSERT_TRUE(queues.has_deferred());
  EXPECT_EQ(queues.next_deferred_ms(), 100);

  queues.undefer(99);
  EXPECT_FALSE(queues.has_runnable());
  queues.undefer(150);
  EXPECT_FALSE(b.deferred);
  EXPECT_FALSE(empty.deferred);
  EXPECT_FALSE(empty.listed);  // nothing to start
  EXPECT_EQ(queues.pop_runnable(), "b");
  EXPECT_FALSE(queues.has_runnable());
  queues.undefer(200);
  EXPECT_EQ(queues.pop_runnable(), "a");
  EXPECT_FALSE(queues.has_deferred());
}

TEST(EndpointQueues, UndeferSkipsDroppedQueues) {
  EndpointQueues queues;
  queues.defer(queues.get("gone"), "gone", 10);
  queues.drop(queues.find("gone"));
  queues.undefer(10);
  EXPECT_FALSE(queues.has_runnable());
  EXPECT_EQ(queues.find("gone"), queues.end());
}

TEST(EndpointQueues, DroppingAQueueThatShedJobsIsRemembered) {
  EndpointQueues queues;
  queues.get("calm");
  queues.drop(queues.find("calm"));
  EXPECT_FALSE(queues.shed_dropped());
  queues.get("busy").shed = true;
  queues.drop(queues.find("busy"));
  EXPECT_TRUE(queues.shed_dropped());
  EXPECT_TRUE(queues.take_shed_dropped());
  EXPECT_FALSE(queues.take_shed_dropped());
}

}  // namespace
}  // namespace hookd
