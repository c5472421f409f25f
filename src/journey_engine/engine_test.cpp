// The journey engine on a real SQLite store: runs started, moved by activities and by time,
// their webhooks committed with them once each, pause holding activities and resume releasing
// them, re-entry, and a step planned twice sending one message.
#include "journey_engine/engine.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "store/scratch_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace hookd {
namespace {

using nlohmann::json;

// Netcore's third case with a short period: searched, did not book within `within`.
json no_booking(const std::string& within, const std::string& reentry = "perKey") {
  return {{"name", "no booking"},
          {"reentry", reentry},
          {"correlationKey", "searchId"},
          {"nodes",
           {{{"id", "start"}, {"type", "trigger"}, {"activity", "search"}, {"next", "wait"}},
            {{"id", "wait"},
             {"type", "waitFor"},
             {"activity", "booking"},
             {"within", within},
             {"correlate", true},
             {"matched", "end"},
             {"timedOut", "hook"}},
            {{"id", "hook"},
             {"type", "webhook"},
             {"endpointId", "ep_1"},
             {"params", {"searchId"}},
             {"attributes", {"EMAIL"}},
             {"next", "end"}},
            {{"id", "end"}, {"type", "exit"}}}}};
}

class JourneyEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteOptions options;
    options.path = (dir_.path() / "hookd.db").string();
    store_ = open_sqlite_store(options);
    catalog_.put_app(Application{"app_1", "shop", "shop", "{}", {}, {}, 0, 0});
    Endpoint ep;
    ep.id = "ep_1";
    ep.app_id = "app_1";
    ep.url = "http://127.0.0.1:9/";
    catalog_.put_endpoint(ep);
    engine_ = std::make_unique<JourneyEngine>(
        JourneyEngineOptions{}, catalog_, *store_, metrics_,
        [this](const MessagePtr& m, const std::vector<std::string>& endpoints, const WriteResult&) {
          sent_.push_back(m);
          EXPECT_EQ(endpoints, std::vector<std::string>{"ep_1"});
        });
  }

  void journey(const json& definition, JourneyStatus status = JourneyStatus::kActive,
               const std::string& id = "jrn_1") {
    Journey j;
    j.id = id;
    j.app_id = "app_1";
    j.name = "no booking";
    j.status = status;
    j.definition = definition.dump();
    catalog_.journeys().put(j);
  }
  void set_status(JourneyStatus status) {
    Journey j = *catalog_.journeys().find("app_1", "jrn_1");
    j.status = status;
    catalog_.journeys().put(j);
  }
  // An activity received `ago` ms before now.
  void activity(const std::string& id, const std::string& contact, const std::string& name,
                const std::string& search, int64_t ago = 0) {
    const int64_t at = now_unix_ms() - ago;
    write::InsertActivities w{
        "app_1", {}, {{contact, {{"EMAIL", "\"" + contact + "@x.org\""}}}}, at};
    w.activities.push_back(
        {id, "app_1", contact, name, json{{"searchId", search}}.dump(), at, at, 0});
    ASSERT_EQ(store_->write_sync(w).status, WriteStatus::kOk);
  }
  std::vector<JourneyRun> runs(const std::string& contact, const std::string& journey = "jrn_1") {
    return store_->contact_runs(journey, contact);
  }

  ScratchDir dir_{"journey-engine"};
  std::unique_ptr<Store> store_;
  Catalog catalog_;
  Metrics metrics_;
  std::vector<MessagePtr> sent_;
  std::unique_ptr<JourneyEngine> engine_;
};

TEST_F(JourneyEngineTest, ATimedOutWaitSendsItsWebhookOnceWithTheStep) {
  journey(no_booking("1s"));
  activity("a1", "ana", "search", "s1", 5'000);  // its second ran out long ago
  engine_->run_once();
  ASSERT_EQ(sent_.size(), 1u);
  const json body = json::parse(sent_[0]->payload);
  const json& item = body.at("shop").at(0);
  EXPECT_EQ(item.at("custom_params"), (json{{"searchId", "s1"}}));
  EXPECT_EQ(item.at("att_params"), (json{{"EMAIL", "ana@x.org"}}));
  EXPECT_EQ(item.at("event_params").at("foreignkey"), "ana");
  EXPECT_EQ(sent_[0]->event_type, "journey.webhook");
  const auto r = runs("ana");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].waiting);
  EXPECT_EQ(r[0].node, "end");
  EXPECT_EQ(sent_[0]->event_id, r[0].id + ":hook:2");
  EXPECT_TRUE(store_->pending_activities(10).empty());
  engine_->run_once();  // nothing left to do
  EXPECT_EQ(sent_.size(), 1u);
  EXPECT_EQ(metrics_.journey_timers_fired.load(), 1u);
}

TEST_F(JourneyEngineTest, AMatchingActivityInTheSameBatchEndsTheRunWithoutAWebhook) {
  journey(no_booking("1h"));
  activity("a1", "ana", "search", "s1");
  activity("a2", "bo", "search", "s2");
  activity("a3", "ana", "booking", "s1");    // the same search: matched
  activity("a4", "bo", "booking", "other");  // another search: not this run's
  engine_->run_once();
  EXPECT_TRUE(sent_.empty());
  ASSERT_EQ(runs("ana").size(), 1u);
  EXPECT_FALSE(runs("ana")[0].waiting);
  ASSERT_EQ(runs("bo").size(), 1u);
  EXPECT_TRUE(runs("bo")[0].waiting);
  EXPECT_EQ(runs("bo")[0].node, "wait");
}

TEST_F(JourneyEngineTest, AnUnrelatedActivityLeavesTheDeadlineWhereItWas) {
  journey(no_booking("1h"));
  activity("a1", "ana", "search", "s1");
  engine_->run_once();
  const int64_t deadline = runs("ana").at(0).wake_at;
  activity("a2", "ana", "page_view", "s1");
  activity("a3", "ana", "booking", "s9");
  engine_->run_once();
  EXPECT_EQ(runs("ana").at(0).wake_at, deadline);
  EXPECT_TRUE(runs("ana").at(0).waiting);
}

TEST_F(JourneyEngineTest, APauseHoldsActivitiesAndTimersUntilTheResume) {
  journey(no_booking("1s"));
  activity("a1", "ana", "search", "s1");
  activity("a2", "bo", "search", "s2");
  engine_->run_once();
  set_status(JourneyStatus::kPaused);
  activity("a3", "ana", "booking", "s1");  // held for ana's run
  activity("a4", "cy", "search", "s3");    // no one enters a paused journey
  engine_->run_once();
  ASSERT_TRUE(runs("ana").at(0).held);
  EXPECT_TRUE(runs("cy").empty());
  EXPECT_TRUE(store_->pending_activities(10).empty());  // applied: held, not dropped
  std::this_thread::sleep_for(std::chrono::milliseconds(1'100));
  engine_->run_once();  // both deadlines passed: nothing moves while paused
  EXPECT_TRUE(sent_.empty());
  EXPECT_TRUE(runs("bo").at(0).waiting);
  set_status(JourneyStatus::kActive);
  engine_->run_once();
  // ana booked before her deadline: matched, no webhook; bo's timer fires on resume.
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(json::parse(sent_[0]->payload)["shop"][0]["event_params"]["foreignkey"], "bo");
  EXPECT_FALSE(runs("ana").at(0).waiting);
  EXPECT_FALSE(runs("ana").at(0).held);
  EXPECT_EQ(runs("ana").at(0).node, "end");
  EXPECT_TRUE(runs("cy").empty());
}

TEST_F(JourneyEngineTest, ReentryFollowsThePolicy) {
  journey(no_booking("1h", "once"));
  activity("a1", "ana", "search", "s1");
  activity("a2", "ana", "search", "s2");
  engine_->run_once();
  EXPECT_EQ(runs("ana").size(), 1u);  // once: the second search starts nothing

  catalog_.journeys().remove("jrn_1");
  journey(no_booking("1h", "perKey"), JourneyStatus::kActive, "jrn_2");
  activity("a3", "bo", "search", "s1");
  activity("a4", "bo", "search", "s1");
  activity("a5", "bo", "search", "s2");
  engine_->run_once();
  EXPECT_EQ(runs("bo", "jrn_2").size(), 2u);  // one per searchId

  catalog_.journeys().remove("jrn_2");
  journey(no_booking("1h", "afterExit"), JourneyStatus::kActive, "jrn_3");
  activity("a6", "cy", "search", "s1");
  activity("a7", "cy", "search", "s2");   // the first still waits
  activity("a8", "cy", "booking", "s1");  // it ends
  activity("a9", "cy", "search", "s3");   // so this one enters
  engine_->run_once();
  const auto cy = runs("cy", "jrn_3");
  ASSERT_EQ(cy.size(), 2u);
  EXPECT_FALSE(cy[0].waiting);
  EXPECT_TRUE(cy[1].waiting);
}

TEST_F(JourneyEngineTest, AStepPlannedTwiceInsertsItsMessageOnce) {
  journey(no_booking("1s"));
  activity("a1", "ana", "search", "s1", 5'000);
  const auto pending = store_->pending_activities(10);
  JourneyPlanner planner(catalog_, *store_);
  PlannedStep first = planner.apply("app_1", pending);
  PlannedStep again = planner.apply("app_1", pending);  // as after a crash before the commit
  ASSERT_EQ(first.write.runs.size(), 1u);
  EXPECT_EQ(first.write.runs[0].id, again.write.runs[0].id);
  ASSERT_EQ(store_->write_sync(first.write).status, WriteStatus::kOk);
  ASSERT_EQ(store_->write_sync(again.write).status, WriteStatus::kOk);
  const auto due = store_->due_runs(now_unix_ms(), 10);
  ASSERT_EQ(due.size(), 1u);
  PlannedStep fire = planner.fire(due, now_unix_ms());
  PlannedStep fire_again = planner.fire(due, now_unix_ms());
  ASSERT_EQ(fire.write.messages.size(), 1u);
  EXPECT_EQ(fire.write.messages[0].message->event_id,
            fire_again.write.messages[0].message->event_id);
  const WriteResult one = store_->write_sync(fire.write);
  const WriteResult two = store_->write_sync(fire_again.write);
  EXPECT_EQ(one.parts.at(0).status, WriteStatus::kOk);
  EXPECT_EQ(two.parts.at(0).status, WriteStatus::kConflict);  // the same eventId: nothing new
  const JourneyStats stats = store_->journey_stats("jrn_1");
  ASSERT_EQ(stats.webhooks.size(), 1u);
  EXPECT_EQ(stats.webhooks[0].count, 1);
}

// Run ids grow with the sequence of their trigger activity (new runs append to the id index),
// one trigger gives each journey its own run, and planning a trigger again gives the same id.
TEST_F(JourneyEngineTest, RunIdsFollowTheOrderOfTheirTriggers) {
  journey(no_booking("1h"));
  journey(no_booking("1h"), JourneyStatus::kActive, "jrn_2");
  for (int i = 0; i < 12; ++i) {
    activity("a" + std::to_string(i), "c" + std::to_string(i % 5), "search", std::to_string(i));
  }
  const auto pending = store_->pending_activities(100);
  JourneyPlanner planner(catalog_, *store_);
  const PlannedStep step = planner.apply("app_1", pending);
  ASSERT_EQ(step.write.runs.size(), 24u);
  std::vector<std::string> ids;
  for (const auto& run : step.write.runs) ids.push_back(run.id);
  for (size_t i = 0; i + 2 < ids.size(); i += 2) {
    EXPECT_NE(ids[i], ids[i + 1]);  // the two journeys' runs of one trigger
    EXPECT_LT(std::max(ids[i], ids[i + 1]), std::min(ids[i + 2], ids[i + 3])) << i;
  }
  const PlannedStep again = planner.apply("app_1", pending);
  ASSERT_EQ(again.write.runs.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(again.write.runs[i].id, ids[i]);
}

// With a page of one activity, each page is planned while the one before it commits: the
// later ones still see the runs the earlier ones moved, so a contact's activities apply in
// order across pages.
TEST_F(JourneyEngineTest, PagesPlannedWhileTheOneBeforeCommitsSeeItsRuns) {
  engine_ =
      std::make_unique<JourneyEngine>(JourneyEngineOptions{.batch = 1}, catalog_, *store_, metrics_,
                                      [this](const MessagePtr& m, const std::vector<std::string>&,
                                             const WriteResult&) { sent_.push_back(m); });
  journey(no_booking("1h"));
  for (int round = 0; round < 20; ++round) {
    const std::string contact = "c" + std::to_string(round);
    activity(contact + "-1", contact, "search", "s1");
    activity(contact + "-2", contact, "booking", "s1");  // ends the run: matched
    activity(contact + "-3", contact, "search", "s1");   // perKey: s1 entered already
    activity(contact + "-4", contact, "search", "s2");   // a second run
  }
  EXPECT_EQ(engine_->run_once(), 80u);
  for (int round = 0; round < 20; ++round) {
    auto r = runs("c" + std::to_string(round));
    ASSERT_EQ(r.size(), 2u) << round;
    if (r[0].correlation != "\"s1\"") std::swap(r[0], r[1]);  // the key's JSON
    EXPECT_EQ(r[0].correlation, "\"s1\"");
    EXPECT_FALSE(r[0].waiting) << round;
    EXPECT_EQ(r[0].node, "end") << round;
    EXPECT_EQ(r[1].correlation, "\"s2\"");
    EXPECT_TRUE(r[1].waiting) << round;
  }
  EXPECT_TRUE(sent_.empty());
  EXPECT_TRUE(store_->pending_activities(10).empty());
  EXPECT_EQ(metrics_.journey_activities_applied.load(), 80u);
}

}  // namespace
}  // namespace hookd
