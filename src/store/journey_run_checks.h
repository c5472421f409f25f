#pragma once

// The journey engine's rows, checked the same way on both stores (journey_runs_test.cpp for
// SQLite, store/postgres/postgres_store_test.cpp for PostgreSQL). Test code only.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/ids.h"
#include "store/store.h"

namespace hookd::journey_run_checks {

inline JourneyRun run(const std::string& id, const std::string& contact, int64_t wake_at,
                      std::vector<std::string> awaited) {
  JourneyRun r;
  r.id = id;
  r.app_id = "app_1";
  r.journey_id = "jrn_1";
  r.version = 1;
  r.contact_key = contact;
  r.wake_at = wake_at;
  r.awaited = std::move(awaited);
  r.state = "{\"node\":1}";
  r.created_at = r.updated_at = wake_at - 1'000;
  return r;
}

inline std::vector<std::string> ids(const std::vector<JourneyRun>& runs) {
  std::vector<std::string> out;
  for (const auto& r : runs) out.push_back(r.id);
  return out;
}

// The pending activities once `expected` of them are visible, or after five seconds. On
// PostgreSQL, rows appear only once every write transaction older than theirs has ended, and
// tests running beside this one on the same server hold such transactions for a moment.
inline std::vector<Activity> pending_when_visible(Store& store, size_t expected) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto pending = store.pending_activities(10);
    if (pending.size() >= expected || std::chrono::steady_clock::now() > give_up) return pending;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Runs are found by the activities they wait for and by their deadline; a step that moves a
// run replaces its index, and an ended run is found by neither.
inline void runs_are_indexed_by_awaited_activity_and_deadline(Store& store) {
  write::JourneyStep step;
  step.runs = {run("run_a", "ana", 5'000, {"booking", "cancel"}),
               run("run_b", "ana", 3'000, {"booking"}), run("run_c", "bo", 4'000, {"booking"})};
  for (auto& r : step.runs) r.fresh = true;  // started by the step
  ASSERT_EQ(store.write_sync(step).status, WriteStatus::kOk);
  EXPECT_EQ(ids(store.runs_awaiting("app_1", "ana", "booking")),
            (std::vector<std::string>{"run_b", "run_a"}));  // oldest first
  EXPECT_EQ(ids(store.runs_awaiting("app_1", "ana", "cancel")), std::vector<std::string>{"run_a"});
  EXPECT_TRUE(store.runs_awaiting("app_2", "ana", "booking").empty());
  EXPECT_EQ(ids(store.due_runs(4'000, 10)), (std::vector<std::string>{"run_b", "run_c"}));
  EXPECT_EQ(ids(store.due_runs(9'000, 1)), std::vector<std::string>{"run_b"});

  JourneyRun moved = run("run_a", "ana", 8'000, {"cancel"});
  moved.created_at = 4'000;  // as first saved
  moved.state = "{\"node\":2}";
  JourneyRun ended = run("run_b", "ana", 3'000, {});
  ended.waiting = false;
  write::JourneyStep next;
  next.runs = {moved, ended};
  ASSERT_EQ(store.write_sync(next).status, WriteStatus::kOk);
  EXPECT_TRUE(store.runs_awaiting("app_1", "ana", "booking").empty());
  const auto cancel = store.runs_awaiting("app_1", "ana", "cancel");
  ASSERT_EQ(cancel.size(), 1u);
  EXPECT_EQ(cancel[0].state, "{\"node\":2}");
  EXPECT_EQ(cancel[0].wake_at, 8'000);
  EXPECT_EQ(ids(store.due_runs(9'000, 10)), (std::vector<std::string>{"run_c", "run_a"}));
  const auto all = store.contact_runs("jrn_1", "ana");  // oldest first, ended ones too
  ASSERT_EQ(ids(all), (std::vector<std::string>{"run_b", "run_a"}));
  EXPECT_FALSE(all[0].waiting);
  EXPECT_TRUE(all[1].waiting);
  EXPECT_EQ(all[1].created_at, 4'000);
}

// A step's messages go in with it, a repeated eventId inserts nothing (the run's and node's
// key), and the activities it applied are no longer pending.
inline void a_step_commits_its_messages_and_applied_activities(Store& store) {
  write::InsertActivities activities{"app_1", {}, {}, 1'000};
  for (const char* id : {"act_1", "act_2", "act_3"}) {
    activities.activities.push_back({id, "app_1", "ana", "viewed", "{}", 1'000, 1'000, 0});
  }
  ASSERT_EQ(store.write_sync(activities).status, WriteStatus::kOk);
  ASSERT_EQ(pending_when_visible(store, 3).size(), 3u);

  auto message = [](const std::string& event_id) {
    auto m = std::make_shared<Message>();
    m->id = new_id("msg_");
    m->app_id = "app_1";
    m->event_type = "journey.webhook";
    m->event_id = event_id;
    m->payload = "{}";
    m->created_at = 2'000;
    return write::InsertMessage{
        m, std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"ep_1"})};
  };
  write::JourneyStep step;
  step.app_id = "app_1";
  step.runs = {run("run_a", "ana", 5'000, {"booking"})};
  step.messages = {message("run_a:2")};
  step.activities_done = {"act_1", "act_2"};
  const WriteResult first = store.write_sync(step);
  ASSERT_EQ(first.status, WriteStatus::kOk);
  ASSERT_EQ(first.parts.size(), 1u);
  EXPECT_EQ(first.parts[0].status, WriteStatus::kOk);
  const auto pending = store.pending_activities(10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, "act_3");
  EXPECT_EQ(pending[0].contact_key, "ana");

  // The same step again (a recovery after a crash): its message is a repeat.
  step.messages = {message("run_a:2")};
  const WriteResult again = store.write_sync(step);
  ASSERT_EQ(again.parts.size(), 1u);
  EXPECT_EQ(again.parts[0].status, WriteStatus::kConflict);
}

// What the engine and the API read besides: due runs but those of paused journeys, the runs
// holding activities, the waiting runs at a node by id, and the counts of a journey's runs and of
// its webhooks' deliveries (a repeated message is not counted twice).
inline void paused_held_waiting_and_counted_runs(Store& store) {
  JourneyRun a = run("run_a", "ana", 5'000, {"booking"});
  a.node = "wait";
  JourneyRun b = run("run_b", "bo", 3'000, {"booking"});
  b.node = "wait";
  b.held = true;
  JourneyRun c = run("run_c", "cy", 4'000, {});
  c.journey_id = "jrn_2";
  c.node = "pause";
  JourneyRun d = run("run_d", "di", 0, {});
  d.node = "end";
  d.waiting = false;
  auto m = std::make_shared<Message>();
  m->id = "msg_1";
  m->app_id = "app_1";
  m->event_type = "journey.webhook";
  m->event_id = "run_d:hook:2";
  m->payload = "{}";
  write::JourneyStep step;
  step.runs = {a, b, c, d};
  step.messages = {{m, std::make_shared<const std::vector<std::string>>(
                           std::vector<std::string>{"ep_1", "ep_2"})}};
  step.webhooks = {{"jrn_1", 1, "hook", "msg_1"}};
  ASSERT_EQ(store.write_sync(step).status, WriteStatus::kOk);
  EXPECT_EQ(ids(store.due_runs(9'000, 10, {"jrn_2"})),
            (std::vector<std::string>{"run_b", "run_a"}));
  EXPECT_EQ(ids(store.due_runs(9'000, 10, {"jrn_1", "jrn_2"})), std::vector<std::string>{});
  EXPECT_EQ(ids(store.held_runs("jrn_1", 10)), std::vector<std::string>{"run_b"});
  const auto held = store.held_runs("jrn_1", 10);
  EXPECT_TRUE(held.at(0).held);
  EXPECT_EQ(held.at(0).node, "wait");
  EXPECT_EQ(ids(store.waiting_runs("jrn_1", "wait", "", 1)),
            (std::vector<std::string>{"run_a", "run_b"}));  // limit + 1
  EXPECT_EQ(ids(store.waiting_runs("jrn_1", "wait", "run_a", 10)),
            std::vector<std::string>{"run_b"});
  EXPECT_EQ(ids(store.waiting_runs("jrn_1", "", "", 10)),
            (std::vector<std::string>{"run_a", "run_b"}));
  EXPECT_TRUE(store.waiting_runs("jrn_1", "end", "", 10).empty());  // ended runs wait nowhere

  auto again = std::make_shared<Message>(*m);
  again->id = "msg_2";  // the same step planned again: a new id, the same eventId
  step.messages = {{again, step.messages[0].endpoint_ids}};
  step.webhooks = {{"jrn_1", 1, "hook", "msg_2"}};
  ASSERT_EQ(store.write_sync(step).status, WriteStatus::kOk);
  const JourneyStats stats = store.journey_stats("jrn_1");
  ASSERT_EQ(stats.runs.size(), 2u);
  EXPECT_EQ(stats.runs[0].node, "end");
  EXPECT_FALSE(stats.runs[0].waiting);
  EXPECT_EQ(stats.runs[0].count, 1);
  EXPECT_EQ(stats.runs[1].node, "wait");
  EXPECT_EQ(stats.runs[1].count, 2);
  ASSERT_EQ(stats.webhooks.size(), 1u);
  EXPECT_EQ(stats.webhooks[0].node, "hook");
  EXPECT_EQ(stats.webhooks[0].status, static_cast<int>(DeliveryStatus::kPending));
  EXPECT_EQ(stats.webhooks[0].count, 2);  // two endpoints, one message
}

}  // namespace hookd::journey_run_checks
