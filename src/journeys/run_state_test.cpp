#include "journeys/run_state.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace hookd {
namespace {

TEST(RunState, RoundTripsThroughJson) {
  RunState s;
  s.node = 3;
  s.wake_at = 1'764'583'200'000;
  s.trigger_name = "flight_search";
  s.trigger_params = R"({"searchId":"s1","cabin":"business"})";
  s.trigger_at = 1'764'583'100'000;
  s.correlation = "\"s1\"";
  s.seen = {true, false};
  s.path = {{"start", 1}, {"wait", 2}};
  Activity held{"act_1", "app_1", "ana", "booking", R"({"searchId":"s1"})", 5, 6, 7};
  s.held = {held};
  const RunState back = parse_run_state(run_state_json(s));
  EXPECT_EQ(back.node, 3);
  EXPECT_EQ(back.wake_at, s.wake_at);
  EXPECT_FALSE(back.ended);
  EXPECT_EQ(back.trigger_name, s.trigger_name);
  EXPECT_EQ(back.trigger_params, s.trigger_params);
  EXPECT_EQ(back.trigger_at, s.trigger_at);
  EXPECT_EQ(back.correlation, s.correlation);
  EXPECT_EQ(back.seen, s.seen);
  EXPECT_EQ(back.path, s.path);
  ASSERT_EQ(back.held.size(), 1u);
  EXPECT_EQ(back.held[0].id, "act_1");
  EXPECT_EQ(back.held[0].app_id, "app_1");
  EXPECT_EQ(back.held[0].contact_key, "ana");
  EXPECT_EQ(back.held[0].name, "booking");
  EXPECT_EQ(back.held[0].params, held.params);
  EXPECT_EQ(back.held[0].occurred_at, 5);
  EXPECT_EQ(back.held[0].received_at, 6);
  EXPECT_EQ(back.held[0].seq, 7);
}

TEST(RunState, RefusesWhatItDidNotWrite) {
  EXPECT_THROW(parse_run_state("not json"), std::runtime_error);
  EXPECT_THROW(parse_run_state("{\"node\":1}"), std::runtime_error);
  EXPECT_THROW(parse_run_state("[]"), std::runtime_error);
}

// Keys in any order (states written before are sorted by key), and strings with quotes,
// backslashes, control characters and UTF-8 written as valid JSON and read back the same.
TEST(RunState, ReadsKeysInAnyOrderAndEscapesStrings) {
  const RunState sorted = parse_run_state(
      R"({"correlation":"","ended":true,"exit":"end","held":[],"node":2,"path":[["start",1]],)"
      R"("seen":[],"trigger":{"at":9,"name":"t","params":"{}"},"wakeAt":0})");
  EXPECT_TRUE(sorted.ended);
  EXPECT_EQ(sorted.exit_id, "end");
  EXPECT_EQ(sorted.node, 2);
  EXPECT_EQ(sorted.trigger_at, 9);
  EXPECT_EQ(sorted.path, (std::vector<RunPathStep>{{"start", 1}}));

  RunState s;
  s.trigger_name = "say \"hi\"\\ \n\t\x01 caf\xc3\xa9";
  s.trigger_params = R"({"q":"a\"b"})";
  s.path = {{"n\"1", -5}};
  const std::string text = run_state_json(s);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const RunState back = parse_run_state(text);
  EXPECT_EQ(back.trigger_name, s.trigger_name);
  EXPECT_EQ(back.trigger_params, s.trigger_params);
  EXPECT_EQ(back.path, s.path);
}

}  // namespace
}  // namespace hookd
