#include "journeys/definition.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "journeys/duration.h"

namespace hookd {
namespace {

using nlohmann::json;

// "Added to cart but did not buy within 30 minutes": nodes start 0, wait 1, hook 2, bought 3,
// end 4. The rejection tests below each break one thing in it.
constexpr std::string_view kAbandonedCart = R"({
  "name": "Abandoned cart",
  "reentry": "perKey",
  "correlationKey": "cartId",
  "nodes": [
    {"id": "start", "type": "trigger", "activity": "added_to_cart", "next": "wait"},
    {"id": "wait", "type": "waitFor", "activity": "purchase", "within": "30m", "correlate": true,
     "matched": "bought", "timedOut": "hook"},
    {"id": "hook", "type": "webhook", "name": "cart reminder", "eventType": "cart.abandoned",
     "params": ["cartId", "total"], "attributes": ["EMAIL", "CITY"], "next": "end"},
    {"id": "bought", "type": "exit"},
    {"id": "end", "type": "exit"}
  ]
})";

// Every node type and every optional field once.
constexpr std::string_view kEverything = R"({
  "name": "Everything", "description": "each node type once", "reentry": "afterExit",
  "correlationKey": "cartId",
  "nodes": [
    {"id": "start", "type": "trigger", "activity": "added_to_cart",
     "filter": {"total": {"$gt": 50}}, "contactFilter": {"COUNTRY": "Canada"}, "next": "wait"},
    {"id": "wait", "type": "waitFor", "activity": "purchase", "filter": {"cartId": {"$exist": true}},
     "contactFilter": {"CITY": {"$eq": "Toronto"}}, "within": "30m", "correlate": true,
     "matched": "all", "timedOut": "hook"},
    {"id": "all", "type": "allOf", "activities": [
       {"activity": "app_launch", "filter": {"os": "android"}}, {"activity": "notification_viewed"}],
     "within": 3600000, "correlate": true, "matched": "cond", "timedOut": "end"},
    {"id": "cond", "type": "condition", "on": "trigger", "filter": {"total": {"$gte": 100}},
     "then": "pause", "else": "end"},
    {"id": "pause", "type": "delay", "duration": "10m", "next": "vip"},
    {"id": "vip", "type": "webhook", "name": "vip", "endpointId": "ep_known", "params": ["cartId"],
     "attributes": ["EMAIL"], "channel": "sms", "next": "end"},
    {"id": "hook", "type": "webhook", "eventType": "cart.abandoned"},
    {"id": "end", "type": "exit"}
  ]
})";

JourneyRefs known_refs() {
  JourneyRefs refs;
  refs.endpoint_exists = [](std::string_view id) { return id == "ep_known"; };
  refs.event_type_exists = [](std::string_view name) {
    static const std::set<std::string_view> kKnown = {"cart.abandoned", "email.opened",
                                                      "app.engaged", "offer.sent"};
    return kKnown.count(name) > 0;
  };
  return refs;
}

Checked<JourneyDefinition> parse(std::string_view text) {
  return parse_journey_definition(text, known_refs());
}

// "field | detail" of the refusal, or "accepted".
std::string refused_text(std::string_view text, const JourneyRefs& refs = known_refs()) {
  const auto d = parse_journey_definition(text, refs);
  return d ? std::string("accepted") : d.problem().field + " | " + d.problem().detail;
}
std::string refused(const json& body) { return refused_text(body.dump()); }

json cart() { return json::parse(kAbandonedCart); }

json node(const std::string& id, const std::string& type, json fields = json::object()) {
  fields["id"] = id;
  fields["type"] = type;
  return fields;
}

// A definition of `nodes` with a plain trigger in front ("start", next: `first`).
json journey(const std::string& first, std::initializer_list<json> nodes) {
  json body{{"name", "test"}, {"nodes", json::array()}};
  body["nodes"].push_back(node("start", "trigger", {{"activity", "a"}, {"next", first}}));
  for (const auto& n : nodes) body["nodes"].push_back(n);
  return body;
}

// A filter of `levels` levels: {"$not": {"$not": ... {"a": 1}}}.
std::string nested(int levels) {
  std::string out;
  for (int i = 1; i < levels; ++i) out += R"({"$not":)";
  out += R"({"a":1})";
  out.append(static_cast<size_t>(levels - 1), '}');
  return out;
}

// -- The four kinds of journeys ------------------------------------------------------------------

TEST(JourneyDefinition, SingleActionFiresAWebhook) {
  const auto d = parse(R"({"name": "Welcome", "nodes": [
    {"id": "start", "type": "trigger", "activity": "email_opened", "next": "hook"},
    {"id": "hook", "type": "webhook", "endpointId": "ep_known"}]})");
  ASSERT_TRUE(d) << d.problem().message();
  EXPECT_EQ(d->name, "Welcome");
  EXPECT_EQ(d->reentry, JourneyReentry::kOnce);
  ASSERT_EQ(d->nodes.size(), 2u);
  EXPECT_EQ(d->nodes[0].type, JourneyNodeType::kTrigger);
  EXPECT_EQ(d->nodes[0].activity, "email_opened");
  EXPECT_EQ(d->nodes[0].next.index, 1);
  EXPECT_FALSE(d->nodes[0].filter.has_value());
  const JourneyNode& hook = d->nodes[1];
  EXPECT_EQ(hook.type, JourneyNodeType::kWebhook);
  EXPECT_EQ(hook.endpoint_id, "ep_known");
  EXPECT_EQ(hook.event_type, "");
  EXPECT_EQ(hook.channel, "webhook");
  EXPECT_FALSE(hook.next.present());  // the run ends after it
  EXPECT_EQ(hook.next.index, JourneyLink::kNone);
}

TEST(JourneyDefinition, SeveralActionsInAnyOrderWithAllOf) {
  const auto d = parse(R"({"name": "Engaged", "nodes": [
    {"id": "start", "type": "trigger", "activity": "app_install", "next": "both"},
    {"id": "both", "type": "allOf", "within": "1h", "matched": "hook", "timedOut": "end",
     "activities": [{"activity": "app_launch", "filter": {"os": "android"}},
                    {"activity": "notification_viewed"}]},
    {"id": "hook", "type": "webhook", "eventType": "app.engaged"},
    {"id": "end", "type": "exit"}]})");
  ASSERT_TRUE(d) << d.problem().message();
  const JourneyNode& both = d->nodes[1];
  EXPECT_EQ(both.type, JourneyNodeType::kAllOf);
  EXPECT_EQ(both.duration_ms, 3'600'000);
  ASSERT_EQ(both.activities.size(), 2u);
  EXPECT_EQ(both.activities[0].activity, "app_launch");
  ASSERT_TRUE(both.activities[0].filter.has_value());
  EXPECT_EQ(both.activities[0].filter->json, R"({"os":"android"})");
  EXPECT_TRUE(both.activities[0].filter->compiled->matches(R"({"os": "android"})"));
  EXPECT_FALSE(both.activities[0].filter->compiled->matches(R"({"os": "ios"})"));
  EXPECT_EQ(both.activities[1].activity, "notification_viewed");
  EXPECT_FALSE(both.activities[1].filter.has_value());
  EXPECT_EQ(both.matched.index, 2);
  EXPECT_EQ(both.timed_out.index, 3);
  EXPECT_FALSE(both.correlate);
}

TEST(JourneyDefinition, SeveralActionsInOrderWithChainedWaitFors) {
  const auto d = parse(R"({"name": "Funnel", "nodes": [
    {"id": "start", "type": "trigger", "activity": "viewed_product", "next": "cart"},
    {"id": "cart", "type": "waitFor", "activity": "added_to_cart", "within": "1d",
     "matched": "checkout", "timedOut": "end"},
    {"id": "checkout", "type": "waitFor", "activity": "checkout", "within": "2h",
     "matched": "hook", "timedOut": "end"},
    {"id": "hook", "type": "webhook", "eventType": "offer.sent", "next": "end"},
    {"id": "end", "type": "exit"}]})");
  ASSERT_TRUE(d) << d.problem().message();
  EXPECT_EQ(d->nodes[1].duration_ms, 86'400'000);
  EXPECT_EQ(d->nodes[1].matched.index, 2);
  EXPECT_EQ(d->nodes[2].duration_ms, 7'200'000);
  EXPECT_EQ(d->nodes[2].matched.index, 3);
  EXPECT_EQ(d->nodes[2].timed_out.index, 4);
  EXPECT_EQ(d->nodes[3].next.index, 4);
}

TEST(JourneyDefinition, ActionButNotAnotherWithinATime) {
  const auto d = parse(kAbandonedCart);
  ASSERT_TRUE(d) << d.problem().message();
  EXPECT_EQ(d->reentry, JourneyReentry::kPerKey);
  EXPECT_EQ(d->correlation_key, "cartId");
  EXPECT_EQ(d->description, "");
  const JourneyNode& wait = d->nodes[1];
  EXPECT_EQ(wait.type, JourneyNodeType::kWaitFor);
  EXPECT_EQ(wait.activity, "purchase");
  EXPECT_EQ(wait.duration_ms, 1'800'000);
  EXPECT_TRUE(wait.correlate);
  EXPECT_EQ(wait.matched.id, "bought");
  EXPECT_EQ(wait.matched.index, 3);
  EXPECT_EQ(wait.timed_out.id, "hook");
  EXPECT_EQ(wait.timed_out.index, 2);
  const JourneyNode& hook = d->nodes[2];
  EXPECT_EQ(hook.name, "cart reminder");
  EXPECT_EQ(hook.event_type, "cart.abandoned");
  EXPECT_EQ(hook.params, (std::vector<std::string>{"cartId", "total"}));
  EXPECT_EQ(hook.attributes, (std::vector<std::string>{"EMAIL", "CITY"}));
  EXPECT_EQ(hook.next.index, 4);
  EXPECT_EQ(d->nodes[3].type, JourneyNodeType::kExit);
}

TEST(JourneyDefinition, ActionFilteredByAContactAttribute) {
  const auto d = parse(R"({"name": "Toronto openers", "nodes": [
    {"id": "start", "type": "trigger", "activity": "email_opened",
     "contactFilter": {"CITY": {"$eq": "Toronto"}}, "next": "canada"},
    {"id": "canada", "type": "condition", "on": "contact", "filter": {"COUNTRY": "Canada"},
     "then": "hook", "else": "end"},
    {"id": "hook", "type": "webhook", "eventType": "email.opened", "attributes": ["EMAIL"]},
    {"id": "end", "type": "exit"}]})");
  ASSERT_TRUE(d) << d.problem().message();
  const auto& city = d->nodes[0].contact_filter;
  ASSERT_TRUE(city.has_value());
  EXPECT_TRUE(city->compiled->matches(R"({"CITY": "Toronto", "COUNTRY": "Canada"})"));
  EXPECT_FALSE(city->compiled->matches(R"({"CITY": "Paris"})"));
  const JourneyNode& canada = d->nodes[1];
  EXPECT_EQ(canada.type, JourneyNodeType::kCondition);
  EXPECT_EQ(canada.on, JourneyConditionSubject::kContact);
  EXPECT_TRUE(canada.filter->compiled->matches(R"({"COUNTRY": "Canada"})"));
  EXPECT_FALSE(canada.filter->compiled->matches(R"({"COUNTRY": "France"})"));
  EXPECT_EQ(canada.if_true.index, 2);
  EXPECT_EQ(canada.if_false.index, 3);
}

TEST(JourneyDefinition, LoopsThatWaitAreAllowed) {
  // Remind every day until the purchase: hook -> wait -> (timedOut) hook.
  json body = cart();
  body["nodes"][2]["next"] = "wait";
  body["nodes"].erase(4);
  EXPECT_EQ(refused(body), "accepted");
  // The same loop through a delay instead.
  EXPECT_EQ(refused(journey(
                "hook", {node("hook", "webhook", {{"eventType", "offer.sent"}, {"next", "pause"}}),
                         node("pause", "delay", {{"duration", "1d"}, {"next", "hook"}})})),
            "accepted");
}

TEST(JourneyDefinition, NullReadsAsAnAbsentOptionalField) {
  json body = cart();
  body["description"] = nullptr;
  body["nodes"][2]["next"] = nullptr;
  body["nodes"][2]["params"] = nullptr;
  body["nodes"].erase(4);
  const auto d = parse(body.dump());
  ASSERT_TRUE(d) << d.problem().message();
  EXPECT_FALSE(d->nodes[2].next.present());
  EXPECT_TRUE(d->nodes[2].params.empty());
}

TEST(JourneyDefinition, LengthsCountCharactersNotBytes) {
  json body = cart();
  std::string name;
  for (int i = 0; i < 256; ++i) name += "é";  // 512 bytes
  body["name"] = name;
  EXPECT_EQ(refused(body), "accepted");
  body["name"] = name + "é";
  EXPECT_EQ(refused(body), "name | name must be at most 256 characters, got 257");
}

// -- Round trip -----------------------------------------------------------------------------------

TEST(JourneyDefinitionJson, RendersTheFormatItReads) {
  const auto d = parse(kAbandonedCart);
  ASSERT_TRUE(d) << d.problem().message();
  EXPECT_EQ(to_json(*d),
            R"({"name":"Abandoned cart","reentry":"perKey","correlationKey":"cartId","nodes":[)"
            R"({"id":"start","type":"trigger","activity":"added_to_cart","next":"wait"},)"
            R"({"id":"wait","type":"waitFor","activity":"purchase","within":"30m",)"
            R"("correlate":true,"matched":"bought","timedOut":"hook"},)"
            R"({"id":"hook","type":"webhook","name":"cart reminder","eventType":"cart.abandoned",)"
            R"("params":["cartId","total"],"attributes":["EMAIL","CITY"],"channel":"webhook",)"
            R"("next":"end"},{"id":"bought","type":"exit"},{"id":"end","type":"exit"}]})");
}

TEST(JourneyDefinitionJson, ParsingTheRenderingGivesAnEqualDefinition) {
  for (const std::string_view text : {kAbandonedCart, kEverything}) {
    const auto d = parse(text);
    ASSERT_TRUE(d) << d.problem().message();
    const std::string rendered = to_json(*d);
    const auto again = parse(rendered);
    ASSERT_TRUE(again) << again.problem().message() << "\n" << rendered;
    EXPECT_EQ(*again, *d) << rendered;
    EXPECT_EQ(to_json(*again), rendered);
  }
}

TEST(JourneyDefinitionJson, RendersEveryField) {
  const auto d = parse(kEverything);
  ASSERT_TRUE(d) << d.problem().message();
  const json out = json::parse(to_json(*d));
  EXPECT_EQ(out["description"], "each node type once");
  EXPECT_EQ(out["reentry"], "afterExit");
  EXPECT_EQ(out["nodes"][0]["contactFilter"], json({{"COUNTRY", "Canada"}}));
  EXPECT_EQ(out["nodes"][2]["within"], "1h");  // posted as 3600000
  EXPECT_EQ(out["nodes"][2]["activities"][0]["filter"], json({{"os", "android"}}));
  EXPECT_EQ(out["nodes"][3]["on"], "trigger");
  EXPECT_EQ(out["nodes"][3]["then"], "pause");
  EXPECT_EQ(out["nodes"][3]["else"], "end");
  EXPECT_EQ(out["nodes"][4]["duration"], "10m");
  EXPECT_EQ(out["nodes"][5]["channel"], "sms");
  EXPECT_EQ(out["nodes"][5]["endpointId"], "ep_known");
  EXPECT_EQ(out["nodes"][6], json::parse(R"({"id": "hook", "type": "webhook",
                                             "eventType": "cart.abandoned", "channel": "webhook"})"));
}

TEST(JourneyDefinitionJson, EqualityLooksAtFiltersAndLinks) {
  auto a = parse(kEverything);
  auto b = parse(kEverything);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);  // different compiled filter objects, the same JSON
  b.value().nodes[0].filter->json = R"({"total":{"$gt":51}})";
  EXPECT_NE(*a, *b);
  b = parse(kEverything);
  b.value().nodes[3].if_false.index = 6;
  EXPECT_NE(*a, *b);
}

// -- Durations ------------------------------------------------------------------------------------

TEST(JourneyDuration, ParsesAWholeNumberAndAUnit) {
  EXPECT_EQ(parse_journey_duration("500ms").ms, 500);
  EXPECT_EQ(parse_journey_duration("30s").ms, 30'000);
  EXPECT_EQ(parse_journey_duration("30m").ms, 1'800'000);
  EXPECT_EQ(parse_journey_duration("2h").ms, 7'200'000);
  EXPECT_EQ(parse_journey_duration("7d").ms, 604'800'000);
  EXPECT_EQ(parse_journey_duration("365d").ms, kMaxJourneyDurationMs);
  EXPECT_EQ(parse_journey_duration("365d").check, DurationCheck::kOk);
  for (const auto* text : {"0s", "0ms", "-5m", "-0d", "-99999999999999999999999d"}) {
    EXPECT_EQ(parse_journey_duration(text).check, DurationCheck::kNotPositive) << text;
  }
  for (const auto* text : {"366d", "31536000001ms", "99999999999999999999999s"}) {
    EXPECT_EQ(parse_journey_duration(text).check, DurationCheck::kTooLarge) << text;
  }
  for (const auto* text : {"", "30", "m", "1.5h", " 30m", "30m ", "30 m", "+5m", "--5m", "5M",
                           "5min", "5mss", "0x10s"}) {
    EXPECT_EQ(parse_journey_duration(text).check, DurationCheck::kMalformed) << text;
  }
}

TEST(JourneyDuration, FormatsInTheLargestUnitThatDividesIt) {
  EXPECT_EQ(format_journey_duration(1'800'000), "30m");
  EXPECT_EQ(format_journey_duration(1'500), "1500ms");
  EXPECT_EQ(format_journey_duration(90'000), "90s");
  EXPECT_EQ(format_journey_duration(86'400'000), "1d");
  EXPECT_EQ(format_journey_duration(kMaxJourneyDurationMs), "365d");
  for (const int64_t ms :
       {int64_t{1}, int64_t{999}, int64_t{61'000}, int64_t{3'600'001}, kMaxJourneyDurationMs - 1}) {
    EXPECT_EQ(parse_journey_duration(format_journey_duration(ms)).ms, ms);
  }
}

// -- 1. The body ----------------------------------------------------------------------------------

TEST(JourneyRejects, BodiesThatAreNotAJsonObject) {
  EXPECT_EQ(refused_text(R"({"name": "x", "nodes": [)"), " | malformed JSON at byte 25");
  EXPECT_EQ(refused_text(""), " | malformed JSON at byte 1");
  EXPECT_EQ(refused_text("[]"), " | a journey definition must be a JSON object, got []");
  EXPECT_EQ(refused_text(R"("journey")"),
            R"( | a journey definition must be a JSON object, got "journey")");
}

TEST(JourneyRejects, BodiesLargerThan1MiB) {
  const std::string padded = std::string(kMaxJourneyJsonBytes - kAbandonedCart.size(), ' ');
  EXPECT_EQ(refused_text(padded + std::string(kAbandonedCart)), "accepted");
  EXPECT_EQ(refused_text(padded + " " + std::string(kAbandonedCart)), " | larger than 1 MiB");
}

TEST(JourneyRejects, NestingDeeperThan64Levels) {
  // The definition, the nodes array and the node are 3 levels; the filter adds the rest.
  json body = journey("end", {node("end", "exit")});
  const auto with_filter = [&](int levels) {
    std::string text = body.dump();
    const auto at = text.find(R"("next")");
    return text.insert(at, R"("filter":)" + nested(levels) + ",");
  };
  EXPECT_EQ(refused_text(with_filter(62)), " | JSON nested deeper than 64 levels");
  // One level less passes the body's limit and meets the filter's own.
  EXPECT_EQ(refused_text(with_filter(61)),
            "nodes[0].filter | node \"start\": filter: nested deeper than 16 levels");
}

// -- 2. Unknown fields ----------------------------------------------------------------------------

TEST(JourneyRejects, UnknownTopLevelFields) {
  json body = cart();
  body["nmae"] = "typo";
  EXPECT_EQ(refused(body),
            "nmae | nmae is not a field of a journey definition (expected one of: name, "
            "description, reentry, correlationKey, nodes)");
}

TEST(JourneyRejects, UnknownNodeFieldsDependOnTheType) {
  json body = cart();
  body["nodes"][1]["withn"] = "30m";
  EXPECT_EQ(refused(body),
            "nodes[1].withn | node \"wait\": withn is not a field of a waitFor node (expected one "
            "of: id, type, activity, filter, contactFilter, within, correlate, matched, timedOut)");
  body = cart();
  body["nodes"][0]["within"] = "30m";  // a field of waitFor, not of trigger
  EXPECT_EQ(refused(body),
            "nodes[0].within | node \"start\": within is not a field of a trigger node (expected "
            "one of: id, type, activity, filter, contactFilter, next)");
  body = cart();
  body["nodes"][3]["next"] = "end";
  EXPECT_EQ(refused(body),
            "nodes[3].next | node \"bought\": next is not a field of an exit node "
            "(expected one of: id, type)");
}

TEST(JourneyRejects, UnknownFieldsOfAnAllOfActivity) {
  const json all = node("all", "allOf",
                        {{"activities", json::parse(R"([{"activity": "a"},
                                                        {"activity": "b", "filters": {}}])")},
                         {"within", "1h"},
                         {"matched", "end"},
                         {"timedOut", "end"}});
  EXPECT_EQ(refused(journey("all", {all, node("end", "exit")})),
            "nodes[1].activities[1].filters | node \"all\": activities[1].filters is not a field "
            "of an allOf activity (expected one of: activity, filter)");
}

// -- 3. Required fields, types, lengths, counts ---------------------------------------------------

TEST(JourneyRejects, MissingRequiredFields) {
  json body = cart();
  body.erase("name");
  EXPECT_EQ(refused(body), "name | name is required");
  body = cart();
  body.erase("nodes");
  EXPECT_EQ(refused(body), "nodes | nodes is required");
  body = cart();
  body["nodes"][1].erase("activity");
  EXPECT_EQ(refused(body), "nodes[1].activity | node \"wait\": activity is required");
  body = cart();
  body["nodes"][1]["timedOut"] = nullptr;
  EXPECT_EQ(refused(body), "nodes[1].timedOut | node \"wait\": timedOut is required");
  body = cart();
  body["nodes"][0].erase("next");
  EXPECT_EQ(refused(body), "nodes[0].next | node \"start\": next is required");
  EXPECT_EQ(
      refused(journey("c", {node("c", "condition",
                                 {{"on", "contact"}, {"filter", {{"a", 1}}}, {"then", "end"}}),
                            node("end", "exit")})),
      "nodes[1].else | node \"c\": else is required");
  EXPECT_EQ(refused(journey("c", {node("c", "condition",
                                       {{"filter", {{"a", 1}}}, {"then", "end"}, {"else", "end"}}),
                                  node("end", "exit")})),
            "nodes[1].on | node \"c\": on is required");
}

TEST(JourneyRejects, WrongJsonTypes) {
  json body = cart();
  body["name"] = 42;
  EXPECT_EQ(refused(body), "name | name must be a string, got 42");
  body = cart();
  body["nodes"] = "all of them";
  EXPECT_EQ(refused(body), "nodes | nodes must be an array of nodes, got \"all of them\"");
  body = cart();
  body["nodes"][3] = 5;
  EXPECT_EQ(refused(body), "nodes[3] | a node must be a JSON object, got 5");
  body = cart();
  body["nodes"][1]["correlate"] = "yes";
  EXPECT_EQ(refused(body),
            "nodes[1].correlate | node \"wait\": correlate must be true or false, got \"yes\"");
  body = cart();
  body["nodes"][0]["next"] = json::array({"wait"});
  EXPECT_EQ(refused(body), "nodes[0].next | node \"start\": next must be a string, got [\"wait\"]");
  body = cart();
  body["nodes"][2]["params"] = "cartId";
  EXPECT_EQ(refused(body),
            "nodes[2].params | node \"hook\": params must be an array of names, got \"cartId\"");
  body = cart();
  body["nodes"][2]["params"] = json::array({"cartId", 1});
  EXPECT_EQ(refused(body),
            "nodes[2].params[1] | node \"hook\": params[1] must be 1 to 128 "
            "characters of A-Z a-z 0-9 _ . -, got 1");
  body = cart();
  body["nodes"][1]["on"] = "contact";  // a condition's field on a waitFor
  EXPECT_EQ(refused(body).substr(0, 40), "nodes[1].on | node \"wait\": on is not a f");
  body = cart();
  body["nodes"][1] =
      node("wait", "condition",
           {{"on", "everyone"}, {"filter", {{"a", 1}}}, {"then", "hook"}, {"else", "bought"}});
  EXPECT_EQ(refused(body),
            "nodes[1].on | node \"wait\": on must be \"contact\" or \"trigger\", got \"everyone\"");
}

TEST(JourneyRejects, StringsOutOfTheirBounds) {
  json body = cart();
  body["name"] = "";
  EXPECT_EQ(refused(body), "name | name must not be empty");
  body["name"] = std::string(257, 'n');
  EXPECT_EQ(refused(body), "name | name must be at most 256 characters, got 257");
  body = cart();
  body["description"] = std::string(1025, 'd');
  EXPECT_EQ(refused(body), "description | description must be at most 1024 characters, got 1025");
  body["description"] = std::string(1024, 'd');
  EXPECT_EQ(refused(body), "accepted");
  body = cart();
  body["nodes"][1]["activity"] = std::string(257, 'a');
  EXPECT_EQ(refused(body),
            "nodes[1].activity | node \"wait\": activity must be at most 256 characters, got 257");
  body = cart();
  body["nodes"][2]["channel"] = "";
  EXPECT_EQ(refused(body), "nodes[2].channel | node \"hook\": channel must not be empty");
  body = cart();
  body["correlationKey"] = "cart id";
  EXPECT_EQ(refused(body),
            "correlationKey | correlationKey must be 1 to 128 characters of A-Z "
            "a-z 0-9 _ . -, got \"cart id\"");
  body["correlationKey"] = std::string(129, 'k');
  EXPECT_EQ(refused(body),
            "correlationKey | correlationKey must be 1 to 128 characters of A-Z "
            "a-z 0-9 _ . -, got \"" +
                std::string(39, 'k') + "...");
}

TEST(JourneyRejects, TooManyOrTooFewItems) {
  json body = cart();
  body["nodes"] = json::array();
  EXPECT_EQ(refused(body), "nodes | nodes must have 1 to 100 nodes, got 0");
  body = journey("n1", {});
  for (int i = 1; i <= 100; ++i) {
    body["nodes"].push_back(node("n" + std::to_string(i), "exit"));
  }
  EXPECT_EQ(refused(body), "nodes | nodes must have 1 to 100 nodes, got 101");
  body["nodes"].erase(100);  // 100 nodes, most of them unreachable: the count is fine
  EXPECT_EQ(refused(body), "nodes[2] | node \"n2\": not reachable from the trigger \"start\"");

  body = cart();
  body["nodes"][2]["params"] = json::array();
  for (int i = 0; i < 51; ++i) body["nodes"][2]["params"].push_back("p" + std::to_string(i));
  EXPECT_EQ(refused(body),
            "nodes[2].params | node \"hook\": params must have at most 50 names, "
            "got 51");
  body["nodes"][2]["params"].erase(50);
  EXPECT_EQ(refused(body), "accepted");
  body["nodes"][2]["attributes"] = json::array({"EMAIL", "CITY", "EMAIL"});
  EXPECT_EQ(refused(body),
            "nodes[2].attributes[2] | node \"hook\": attributes[2] repeats \"EMAIL\"");

  const auto all_of = [](int count) {
    json activities = json::array();
    for (int i = 0; i < count; ++i) activities.push_back({{"activity", "a" + std::to_string(i)}});
    return journey("all", {node("all", "allOf",
                                {{"activities", activities},
                                 {"within", "1h"},
                                 {"matched", "end"},
                                 {"timedOut", "end"}}),
                           node("end", "exit")});
  };
  EXPECT_EQ(refused(all_of(1)),
            "nodes[1].activities | node \"all\": activities must have 2 to 10 activities, got 1");
  EXPECT_EQ(refused(all_of(11)),
            "nodes[1].activities | node \"all\": activities must have 2 to 10 activities, got 11");
  EXPECT_EQ(refused(all_of(10)), "accepted");
  json bad_entry = all_of(2);
  bad_entry["nodes"][1]["activities"][1] = "b";
  EXPECT_EQ(refused(bad_entry),
            "nodes[1].activities[1] | node \"all\": activities[1] must be a "
            "JSON object, got \"b\"");
}

// -- 4. Types, ids, the trigger -------------------------------------------------------------------

TEST(JourneyRejects, UnknownNodeTypes) {
  json body = cart();
  body["nodes"][2]["type"] = "sendEmail";
  EXPECT_EQ(refused(body),
            "nodes[2].type | node \"hook\": type must be one of trigger, waitFor, "
            "allOf, condition, delay, webhook, exit, got \"sendEmail\"");
  body["nodes"][2].erase("type");
  EXPECT_EQ(refused(body), "nodes[2].type | node \"hook\": type is required");
}

TEST(JourneyRejects, DuplicateAndMalformedIds) {
  json body = cart();
  body["nodes"][4]["id"] = "bought";
  EXPECT_EQ(refused(body), "nodes[4].id | node \"bought\": id is already the id of nodes[3]");
  body["nodes"][4]["id"] = "the end";
  EXPECT_EQ(refused(body),
            "nodes[4].id | id must be 1 to 64 characters of A-Z a-z 0-9 _ -, got "
            "\"the end\"");
  body["nodes"][4]["id"] = std::string(65, 'e');
  EXPECT_EQ(refused(body),
            "nodes[4].id | id must be 1 to 64 characters of A-Z a-z 0-9 _ -, got "
            "\"" +
                std::string(39, 'e') + "...");
  body["nodes"][4]["id"] = 4;
  EXPECT_EQ(refused(body), "nodes[4].id | id must be 1 to 64 characters of A-Z a-z 0-9 _ -, got 4");
  body["nodes"][4].erase("id");
  EXPECT_EQ(refused(body), "nodes[4].id | id is required");
}

TEST(JourneyRejects, TheFirstNodeMustBeTheOnlyTrigger) {
  json body = cart();
  std::swap(body["nodes"][0], body["nodes"][1]);
  EXPECT_EQ(refused(body),
            "nodes[0].type | node \"wait\": type must be \"trigger\": the first "
            "node is the trigger, got \"waitFor\"");
  body = cart();
  body["nodes"][3] = node("again", "trigger", {{"activity", "added_to_cart"}, {"next", "end"}});
  EXPECT_EQ(refused(body),
            "nodes[3].type | node \"again\": type is \"trigger\", but a journey "
            "has one trigger, \"start\" (nodes[0])");
}

// -- 5. Durations ---------------------------------------------------------------------------------

TEST(JourneyRejects, DurationsThatAreNotPositiveOrTooLargeOrMalformed) {
  const auto within = [](const json& value) {
    json body = cart();
    body["nodes"][1]["within"] = value;
    return refused(body);
  };
  const std::string field = "nodes[1].within | node \"wait\": within ";
  EXPECT_EQ(within("0s"), field + "must be a positive duration, got \"0s\"");
  EXPECT_EQ(within(0), field + "must be a positive duration, got 0");
  EXPECT_EQ(within(-5), field + "must be a positive duration, got -5");
  EXPECT_EQ(within("-5m"), field + "must be a positive duration, got \"-5m\"");
  EXPECT_EQ(within("366d"), field + "must be at most 365 days, got \"366d\"");
  EXPECT_EQ(within(kMaxJourneyDurationMs + 1), field + "must be at most 365 days, got 31536000001");
  EXPECT_EQ(within(json::parse("18446744073709551615")),
            field + "must be at most 365 days, got 18446744073709551615");
  EXPECT_EQ(within("30 minutes"),
            field +
                "must be a duration such as \"30m\" or a number of milliseconds, got "
                "\"30 minutes\"");
  EXPECT_EQ(within(1.5), field +
                             "must be a duration such as \"30m\" or a number of "
                             "milliseconds, got 1.5");
  EXPECT_EQ(within(true), field +
                              "must be a duration such as \"30m\" or a number of "
                              "milliseconds, got true");
  EXPECT_EQ(within("365d"), "accepted");
  EXPECT_EQ(within(1), "accepted");
  EXPECT_EQ(within(nullptr), "nodes[1].within | node \"wait\": within is required");
  EXPECT_EQ(
      refused(journey("pause", {node("pause", "delay", {{"duration", "0ms"}, {"next", "end"}}),
                                node("end", "exit")})),
      "nodes[1].duration | node \"pause\": duration must be a positive duration, got \"0ms\"");
}

// -- 6. References --------------------------------------------------------------------------------

TEST(JourneyRejects, LinksToNodesThatDoNotExist) {
  json body = cart();
  body["nodes"][0]["next"] = "wiat";
  EXPECT_EQ(refused(body),
            "nodes[0].next | node \"start\": next refers to \"wiat\", which is not "
            "a node of this journey");
  body = cart();
  body["nodes"][1]["matched"] = "";
  EXPECT_EQ(refused(body), "nodes[1].matched | node \"wait\": matched must not be empty");
}

TEST(JourneyRejects, LinksToTheNodeItselfOrToTheTrigger) {
  json body = cart();
  body["nodes"][2]["next"] = "hook";
  EXPECT_EQ(refused(body), "nodes[2].next | node \"hook\": next points at the node itself");
  body = cart();
  body["nodes"][1]["timedOut"] = "wait";  // even a waiting node: it would only wait again
  EXPECT_EQ(refused(body), "nodes[1].timedOut | node \"wait\": timedOut points at the node itself");
  body = cart();
  body["nodes"][1]["timedOut"] = "start";
  EXPECT_EQ(refused(body),
            "nodes[1].timedOut | node \"wait\": timedOut points at the trigger "
            "\"start\", which only starts a run");
}

// -- 7. Reachability ------------------------------------------------------------------------------

TEST(JourneyRejects, NodesTheTriggerDoesNotReach) {
  json body = cart();
  body["nodes"][2].erase("next");  // "end" is no longer reached
  body["nodes"].push_back(node("orphan", "exit"));
  EXPECT_EQ(refused(body), "nodes[4] | node \"end\": not reachable from the trigger \"start\"");
}

// -- 8. Loops that never wait ---------------------------------------------------------------------

TEST(JourneyRejects, LoopsThatPassNoWaitingNode) {
  const json body = journey(
      "cond",
      {node("cond", "condition",
            {{"on", "contact"}, {"filter", {{"VIP", true}}}, {"then", "hook"}, {"else", "end"}}),
       node("hook", "webhook", {{"eventType", "offer.sent"}, {"next", "cond"}}),
       node("end", "exit")});
  EXPECT_EQ(refused(body),
            "nodes[2].next | node \"hook\": next closes the loop \"cond\" -> \"hook\" -> \"cond\", "
            "which passes no waitFor, allOf or delay node and would run without ever waiting");
  // Three webhooks in a ring, entered from the middle.
  const json ring =
      journey("b", {node("a", "webhook", {{"eventType", "offer.sent"}, {"next", "b"}}),
                    node("b", "webhook", {{"eventType", "offer.sent"}, {"next", "c"}}),
                    node("c", "webhook", {{"eventType", "offer.sent"}, {"next", "a"}})});
  EXPECT_EQ(refused(ring),
            "nodes[1].next | node \"a\": next closes the loop \"b\" -> \"c\" -> "
            "\"a\" -> \"b\", which passes no waitFor, allOf or delay node and "
            "would run without ever waiting");
}

// -- 9. Webhook targets ---------------------------------------------------------------------------

TEST(JourneyRejects, WebhooksNeedExactlyOneTarget) {
  json body = cart();
  body["nodes"][2]["endpointId"] = "ep_known";
  EXPECT_EQ(refused(body),
            "nodes[2] | node \"hook\": needs exactly one of endpointId and eventType, got both");
  body["nodes"][2].erase("endpointId");
  body["nodes"][2].erase("eventType");
  EXPECT_EQ(refused(body),
            "nodes[2] | node \"hook\": needs exactly one of endpointId and eventType, got neither");
}

TEST(JourneyRejects, TargetsTheApplicationDoesNotKnow) {
  json body = cart();
  body["nodes"][2]["eventType"] = "cart.forgotten";
  EXPECT_EQ(refused(body),
            "nodes[2].eventType | node \"hook\": eventType \"cart.forgotten\" is "
            "not an event type of this application");
  EXPECT_EQ(refused_text(body.dump(), JourneyRefs{}), "accepted");  // no lookup: no check
  body["nodes"][2].erase("eventType");
  body["nodes"][2]["endpointId"] = "ep_nope";
  EXPECT_EQ(refused(body),
            "nodes[2].endpointId | node \"hook\": endpointId \"ep_nope\" is not an "
            "endpoint of this application");
  JourneyRefs only_event_types = known_refs();
  only_event_types.endpoint_exists = nullptr;
  EXPECT_EQ(refused_text(body.dump(), only_event_types), "accepted");
}

// -- 10. Filters ----------------------------------------------------------------------------------

TEST(JourneyRejects, FiltersThatDoNotCompile) {
  json body = cart();
  body["nodes"][0]["filter"] = {{"total", {{"$like", 1}}}};
  EXPECT_EQ(refused(body),
            "nodes[0].filter | node \"start\": filter: total: unknown operator "
            "$like");
  body = cart();
  body["nodes"][1]["contactFilter"] = "CITY";
  EXPECT_EQ(refused(body),
            "nodes[1].contactFilter | node \"wait\": contactFilter must be a JSON "
            "object of conditions, got \"CITY\"");
  const json all = node("all", "allOf",
                        {{"activities", json::parse(R"([{"activity": "a", "filter": {"$or": 1}},
                                                        {"activity": "b"}])")},
                         {"within", "1h"},
                         {"matched", "end"},
                         {"timedOut", "end"}});
  EXPECT_EQ(refused(journey("all", {all, node("end", "exit")})),
            "nodes[1].activities[0].filter | node \"all\": activities[0].filter: $or needs a "
            "non-empty array of filters");
  EXPECT_EQ(refused(journey(
                "c", {node("c", "condition", {{"on", "trigger"}, {"then", "end"}, {"else", "end"}}),
                      node("end", "exit")})),
            "nodes[1].filter | node \"c\": filter is required");
}

// -- 11. Correlation ------------------------------------------------------------------------------

TEST(JourneyRejects, CorrelationWithoutAKey) {
  json body = cart();
  body.erase("correlationKey");
  EXPECT_EQ(refused(body),
            "correlationKey | correlationKey is required when reentry is \"perKey\"");
  body["reentry"] = "once";
  EXPECT_EQ(refused(body),
            "nodes[1].correlate | node \"wait\": correlate is true, but the journey "
            "has no correlationKey to correlate on");
  body["nodes"][1]["correlate"] = false;
  EXPECT_EQ(refused(body), "accepted");
  body["reentry"] = "always";
  EXPECT_EQ(refused(body),
            "reentry | reentry must be \"once\", \"afterExit\" or \"perKey\", got \"always\"");
}

TEST(JourneyRejects, DetailsQuoteAtMost40BytesOfValidUtf8) {
  json body = cart();
  std::string long_id;
  for (int i = 0; i < 64; ++i) long_id += "é";  // 64 characters, 128 bytes
  body["nodes"][0]["next"] = long_id;
  // The quote and 19 characters: the 40th byte is the first half of the 20th.
  EXPECT_EQ(refused(body), "nodes[0].next | node \"start\": next refers to \"" +
                               long_id.substr(0, 19 * 2) +
                               "..., which is not a node of this journey");
  body["nodes"][0]["next"] = long_id + "é";
  EXPECT_EQ(refused(body),
            "nodes[0].next | node \"start\": next must be at most 64 characters, "
            "got 65");
}

}  // namespace
}  // namespace hookd
