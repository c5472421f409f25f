#include "api/event_examples.h"

#include <gtest/gtest.h>

namespace hookd::api {
namespace {

EventType type_with(std::string example, std::string schemas) {
  EventType type;
  type.name = "order.paid";
  type.example_json = std::move(example);
  type.schemas_json = std::move(schemas);
  return type;
}

TEST(EventExamples, HookdsExampleComesFirstThenTheNewestSchemasExamples) {
  const EventType type = type_with(R"({"own":1})", R"({"1": {"examples": [{"v":1}]},
      "2": {"type": "object", "examples": [{"v":2}, {"v":3}]}, "x": {"examples": [{"v":9}]}})");
  EXPECT_EQ(*pick_example(type, 0), R"({"own":1})");
  EXPECT_EQ(*pick_example(type, 1), R"({"v":2})");
  EXPECT_EQ(*pick_example(type, 2), R"({"v":3})");
  const auto beyond = pick_example(type, 3);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.problem().field, "exampleIndex");
  EXPECT_NE(beyond.problem().detail.find("from 0 to 2"), std::string::npos);
  EXPECT_FALSE(pick_example(type, -1).ok());
}

TEST(EventExamples, SchemaExamplesAloneAreEnough) {
  const EventType type = type_with("", R"({"1": {"examples": ["text", 5]}})");
  EXPECT_EQ(*pick_example(type, 0), R"("text")");
  EXPECT_EQ(*pick_example(type, 1), "5");
}

TEST(EventExamples, NoExampleNamesTheEventType) {
  for (const char* schemas :
       {"", R"({"1": {"type": "object"}})", R"({"1": {"examples": {}}})", "[1]"}) {
    const auto none = pick_example(type_with("", schemas), 0);
    ASSERT_FALSE(none.ok()) << schemas;
    EXPECT_EQ(none.problem().field, "eventType");
    EXPECT_NE(none.problem().detail.find("order.paid has no example"), std::string::npos);
  }
}

}  // namespace
}  // namespace hookd::api
