#include "journeys/runner.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hookd {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1'764'583'200'000;  // 2025-12-01T10:00:00Z
constexpr int64_t kMinute = 60'000;

JourneyDefinition parse(const json& definition) {
  auto parsed = parse_journey_definition(definition.dump(), {});
  EXPECT_TRUE(parsed.ok()) << parsed.problem().message();
  return parsed.value();
}

Activity activity(const std::string& name, json params, int64_t at) {
  Activity a;
  a.id = "a-" + name;
  a.name = name;
  a.contact_key = "ana@example.com";
  a.params = params.dump();
  a.occurred_at = a.received_at = at;
  return a;
}

Contact contact(std::map<std::string, std::string> attributes = {}) {
  return Contact{"app_1", "ana@example.com", std::move(attributes), kT0, kT0};
}

const RunContext kContext{"shop", "run_1"};

// Netcore's third case: searched a business-class flight and did not book within 30 minutes.
json no_booking() {
  return {{"name", "no booking"},
          {"reentry", "perKey"},
          {"correlationKey", "searchId"},
          {"nodes",
           {{{"id", "start"},
             {"type", "trigger"},
             {"activity", "flight_search"},
             {"filter", {{"cabin", "business"}}},
             {"next", "wait"}},
            {{"id", "wait"},
             {"type", "waitFor"},
             {"activity", "booking"},
             {"within", "30m"},
             {"correlate", true},
             {"matched", "end"},
             {"timedOut", "hook"}},
            {{"id", "hook"},
             {"type", "webhook"},
             {"name", "remind"},
             {"endpointId", "ep_1"},
             {"params", {"searchId"}},
             {"attributes", {"EMAIL"}},
             {"next", "end"}},
            {{"id", "end"}, {"type", "exit"}}}}};
}

TEST(JourneyRunner, ATriggerThatMatchesStartsARunThatWaits) {
  const auto d = parse(no_booking());
  const auto search = activity("flight_search", {{"cabin", "business"}, {"searchId", "s1"}}, kT0);
  ASSERT_TRUE(starts_run(d, search, contact()));
  EXPECT_FALSE(starts_run(d, activity("flight_search", {{"cabin", "economy"}}, kT0), contact()));
  EXPECT_FALSE(starts_run(d, activity("booking", {{"cabin", "business"}}, kT0), contact()));
  const RunStep step = start_run(d, search, contact(), kContext);
  EXPECT_FALSE(step.state.ended);
  EXPECT_EQ(step.state.node, 1);
  EXPECT_EQ(step.state.wake_at, kT0 + 30 * kMinute);
  EXPECT_EQ(step.state.correlation, "\"s1\"");
  EXPECT_TRUE(step.webhooks.empty());
  EXPECT_EQ(step.path, (std::vector<int>{0, 1}));
  EXPECT_EQ(awaited_activities(d, step.state), std::vector<std::string>{"booking"});
}

TEST(JourneyRunner, TheMatchingActivityEndsTheRunWithoutAWebhook) {
  const auto d = parse(no_booking());
  const auto search = activity("flight_search", {{"cabin", "business"}, {"searchId", "s1"}}, kT0);
  const RunState waiting = start_run(d, search, contact(), kContext).state;
  // Another search id, or an unrelated activity, changes nothing, and the deadline stays.
  const auto other = activity("booking", {{"searchId", "s2"}}, kT0 + kMinute);
  RunStep step = advance_run(d, waiting, contact(), &other, kT0 + kMinute, kContext);
  EXPECT_FALSE(step.changed);
  EXPECT_EQ(step.state.wake_at, kT0 + 30 * kMinute);
  const auto unrelated = activity("page_view", {{"searchId", "s1"}}, kT0 + 2 * kMinute);
  EXPECT_FALSE(advance_run(d, waiting, contact(), &unrelated, kT0 + 2 * kMinute, kContext).changed);
  const auto booked = activity("booking", {{"searchId", "s1"}}, kT0 + 10 * kMinute);
  step = advance_run(d, waiting, contact(), &booked, kT0 + 10 * kMinute, kContext);
  EXPECT_TRUE(step.changed);
  EXPECT_TRUE(step.state.ended);
  EXPECT_EQ(step.state.exit_id, "end");
  EXPECT_TRUE(step.webhooks.empty());
}

TEST(JourneyRunner, TheDeadlineSendsTheWebhookInNetcoresShape) {
  const auto d = parse(no_booking());
  const auto search =
      activity("flight_search", {{"cabin", "business"}, {"searchId", "s1"}, {"to", "YUL"}}, kT0);
  const Contact ana = contact({{"EMAIL", "\"ana@example.com\""}, {"CITY", "\"Toronto\""}});
  const RunState waiting = start_run(d, search, ana, kContext).state;
  EXPECT_FALSE(advance_run(d, waiting, ana, nullptr, kT0 + 29 * kMinute, kContext).changed);
  // A booking that arrives once time ran out does not count.
  const auto late = activity("booking", {{"searchId", "s1"}}, kT0 + 31 * kMinute);
  const RunStep step = advance_run(d, waiting, ana, &late, kT0 + 31 * kMinute, kContext);
  ASSERT_TRUE(step.changed);
  EXPECT_TRUE(step.state.ended);
  ASSERT_EQ(step.webhooks.size(), 1u);
  EXPECT_EQ(step.webhooks[0].endpoint_id, "ep_1");
  EXPECT_EQ(step.webhooks[0].node, 2);
  const json payload = json::parse(step.webhooks[0].payload);
  const json item = payload.at("shop").at(0);
  EXPECT_EQ(item.at("journey_name"), "no booking");
  EXPECT_EQ(item.at("webhook_name"), "remind");
  EXPECT_EQ(item.at("channel"), "webhook");
  EXPECT_EQ(item.at("event"), "flight_search");
  EXPECT_EQ(item.at("msgid"), "run_1");
  EXPECT_EQ(item.at("custom_params"), json({{"searchId", "s1"}}));
  EXPECT_EQ(item.at("att_params"), json({{"EMAIL", "ana@example.com"}}));
  const json& event = item.at("event_params");
  EXPECT_EQ(event.at("to"), "YUL");
  EXPECT_EQ(event.at("foreignkey"), "ana@example.com");
  EXPECT_EQ(event.at("timestamp"), "2025-12-01T10:00:00");
  EXPECT_EQ(event.at("ts"), 251201100000);
  EXPECT_EQ(step.path, (std::vector<int>{2, 3}));
}

TEST(JourneyRunner, AllOfWaitsForEveryActivityInAnyOrder) {
  const auto d =
      parse({{"name", "engaged"},
             {"nodes",
              {{{"id", "start"}, {"type", "trigger"}, {"activity", "sent"}, {"next", "both"}},
               {{"id", "both"},
                {"type", "allOf"},
                {"within", "1h"},
                {"activities", {{{"activity", "opened"}}, {{"activity", "clicked"}}}},
                {"matched", "hook"},
                {"timedOut", "end"}},
               {{"id", "hook"}, {"type", "webhook"}, {"endpointId", "ep_1"}},
               {{"id", "end"}, {"type", "exit"}}}}});
  RunState s = start_run(d, activity("sent", json::object(), kT0), contact(), kContext).state;
  const auto clicked = activity("clicked", json::object(), kT0 + kMinute);
  RunStep step = advance_run(d, s, contact(), &clicked, kT0 + kMinute, kContext);
  EXPECT_TRUE(step.changed);
  EXPECT_FALSE(step.state.ended);
  EXPECT_EQ(awaited_activities(d, step.state), std::vector<std::string>{"opened"});
  // The same activity again is not the other one.
  EXPECT_FALSE(
      advance_run(d, step.state, contact(), &clicked, kT0 + 2 * kMinute, kContext).changed);
  const auto opened = activity("opened", json::object(), kT0 + 3 * kMinute);
  step = advance_run(d, step.state, contact(), &opened, kT0 + 3 * kMinute, kContext);
  EXPECT_TRUE(step.state.ended);
  EXPECT_EQ(step.state.exit_id, "hook");
  ASSERT_EQ(step.webhooks.size(), 1u);
  EXPECT_EQ(json::parse(step.webhooks[0].payload).at("shop").at(0).at("event"), "opened");
}

TEST(JourneyRunner, AConditionOnTheContactSplitsTheRun) {
  // Netcore's fourth case: purchased and lives in Canada.
  const auto d =
      parse({{"name", "canadian buyers"},
             {"nodes",
              {{{"id", "start"}, {"type", "trigger"}, {"activity", "purchase"}, {"next", "where"}},
               {{"id", "where"},
                {"type", "condition"},
                {"on", "contact"},
                {"filter", {{"COUNTRY", "Canada"}}},
                {"then", "hook"},
                {"else", "end"}},
               {{"id", "hook"}, {"type", "webhook"}, {"eventType", "buyer.canadian"}},
               {{"id", "end"}, {"type", "exit"}}}}});
  const auto purchase = activity("purchase", {{"total", 10}}, kT0);
  RunStep canadian = start_run(d, purchase, contact({{"COUNTRY", "\"Canada\""}}), kContext);
  ASSERT_EQ(canadian.webhooks.size(), 1u);
  EXPECT_EQ(canadian.webhooks[0].event_type, "buyer.canadian");
  EXPECT_EQ(canadian.state.exit_id, "hook");
  RunStep french = start_run(d, purchase, contact({{"COUNTRY", "\"France\""}}), kContext);
  EXPECT_TRUE(french.webhooks.empty());
  EXPECT_EQ(french.state.exit_id, "end");
  EXPECT_EQ(french.path, (std::vector<int>{0, 1, 3}));
}

TEST(JourneyRunner, ADelayMovesOnlyWhenItsTimeComes) {
  const auto d =
      parse({{"name", "later"},
             {"nodes",
              {{{"id", "start"}, {"type", "trigger"}, {"activity", "joined"}, {"next", "pause"}},
               {{"id", "pause"}, {"type", "delay"}, {"duration", "10m"}, {"next", "hook"}},
               {{"id", "hook"}, {"type", "webhook"}, {"endpointId", "ep_1"}}}}});
  const RunState s =
      start_run(d, activity("joined", json::object(), kT0), contact(), kContext).state;
  EXPECT_TRUE(awaited_activities(d, s).empty());
  const auto any = activity("joined", json::object(), kT0 + kMinute);
  EXPECT_FALSE(advance_run(d, s, contact(), &any, kT0 + kMinute, kContext).changed);
  const RunStep step = advance_run(d, s, contact(), nullptr, kT0 + 10 * kMinute, kContext);
  EXPECT_TRUE(step.state.ended);
  EXPECT_EQ(step.webhooks.size(), 1u);
  // An ended run stays ended.
  EXPECT_FALSE(
      advance_run(d, step.state, contact(), nullptr, kT0 + 20 * kMinute, kContext).changed);
}

}  // namespace
}  // namespace hookd
