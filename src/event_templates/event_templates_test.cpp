#include "event_templates/event_templates.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/message_input.h"

namespace hookd {
namespace {

using nlohmann::json;

const EventTemplate& entry(std::string_view set_name, std::string_view name) {
  const auto* set = find_event_template_set(set_name);
  if (set == nullptr) throw std::runtime_error("no set " + std::string(set_name));
  for (const auto& e : set->templates) {
    if (e.name == name) return e;
  }
  throw std::runtime_error("no event type " + std::string(name));
}

// The single activity of a Netcore batch: {"<panel>": [activity, ...]}.
json first_activity(const EventTemplate& e) {
  const json example = json::parse(e.example_json);
  return example.begin()->at(0);
}

const std::vector<EventTemplate>& templates_of(std::string_view set_name) {
  return find_event_template_set(set_name)->templates;
}

// Parses the embedded data files: malformed data fails here, not first in a request.
TEST(EventTemplatesTest, BothSetsAreEmbeddedAndParse) {
  std::vector<std::string> names;
  for (const auto& set : event_template_sets()) names.push_back(set.name);
  EXPECT_EQ(names, (std::vector<std::string>{"netcore-channels", "chatbot"}));
  ASSERT_NE(find_event_template_set("netcore-channels"), nullptr);
  ASSERT_NE(find_event_template_set("chatbot"), nullptr);
  EXPECT_EQ(templates_of("netcore-channels").size(), 19u);
  EXPECT_EQ(templates_of("chatbot").size(), 2u);
  EXPECT_EQ(find_event_template_set("nope"), nullptr);
  EXPECT_EQ(find_event_template_set(""), nullptr);
}

TEST(EventTemplatesTest, EveryEntryHasAValidNameADescriptionAndAnObjectExample) {
  for (const auto& set : event_template_sets()) {
    std::set<std::string> seen;
    for (const auto& e : set.templates) {
      SCOPED_TRACE(e.name);
      EXPECT_TRUE(api::is_valid_name(e.name));
      EXPECT_TRUE(seen.insert(e.name).second) << "duplicate";
      EXPECT_FALSE(e.description.empty());
      EXPECT_FALSE(e.example_source.empty());
      const json example = json::parse(e.example_json, nullptr, false);
      ASSERT_FALSE(example.is_discarded()) << "invalid JSON";
      EXPECT_TRUE(example.is_object());
    }
  }
}

TEST(EventTemplatesTest, NetcoreExamplesNameTheirChannelAndEvent) {
  for (const auto& e : templates_of("netcore-channels")) {
    SCOPED_TRACE(e.name);
    const json example = json::parse(e.example_json);
    ASSERT_EQ(example.size(), 1u);  // one panel
    ASSERT_TRUE(example.begin()->is_array());
    const json activity = first_activity(e);
    const std::string prefix = e.name.substr(0, e.name.find('.'));
    const std::string channel = prefix == "custom" ? "custom_activity" : prefix;
    EXPECT_EQ(activity.at("channel"), channel);
    if (prefix != "custom") {
      EXPECT_TRUE(activity.contains("event"));
    }
  }
  EXPECT_EQ(first_activity(entry("netcore-channels", "email.bounced"))["event"], "bounce");
  EXPECT_EQ(first_activity(entry("netcore-channels", "whatsapp.failed"))["event"], "failed");
  EXPECT_EQ(first_activity(entry("netcore-channels", "rcs.opened"))["event"], "open");
  EXPECT_EQ(first_activity(entry("netcore-channels", "sms.clicked"))["event"], "click");
}

TEST(EventTemplatesTest, PublishedSamplesAreKeptAsPublished) {
  const auto& opened = entry("netcore-channels", "email.opened");
  EXPECT_NE(opened.example_json.find(R"("webhook_name": "Email Open Webhook")"), std::string::npos);
  EXPECT_NE(opened.example_json.find(R"("pod2_email_rashmi")"), std::string::npos);
  EXPECT_EQ(first_activity(opened)["custom_params"]["userid"], "22428-546-40823");

  const json sms = json::parse(entry("netcore-channels", "sms.delivered").example_json);
  EXPECT_EQ(sms["qa_manual1"].size(), 2u);  // Netcore's batch carries an email open as well
  EXPECT_EQ(sms["qa_manual1"][0]["event_params"]["mobile"], "8281904975");

  const auto rcs = first_activity(entry("netcore-channels", "rcs.clicked"));
  EXPECT_EQ(rcs["journey_name"], "RCS Click Webhook Journey");
  EXPECT_EQ(first_activity(entry("netcore-channels", "custom.activity"))["event_params"]["guid"],
            "2a867f6d-cb7f-4fb7-8da4-02a5d5dd1bd8");

  const json response = json::parse(entry("chatbot", "chatbot.response").example_json);
  EXPECT_EQ(response["response"], "John Doe");
  EXPECT_EQ(response["campaignId"], "13010");
  const json option = json::parse(entry("chatbot", "chatbot.option_chosen").example_json);
  EXPECT_EQ(option["option"], "One month");
  EXPECT_EQ(option["keyword"], 1);
}

TEST(EventTemplatesTest, DescriptionsSayWhatHappenedNotWhereTheExampleCameFrom) {
  for (const char* name : {"email.delivered", "email.clicked", "email.bounced", "sms.clicked",
                           "apn.clicked", "bpn.clicked", "whatsapp.delivered", "whatsapp.opened",
                           "whatsapp.failed", "rcs.delivered", "rcs.opened", "rcs.failed"}) {
    SCOPED_TRACE(name);
    const std::string& description = entry("netcore-channels", name).description;
    EXPECT_EQ(description.rfind("Netcore ", 0), 0u);
    EXPECT_EQ(description.find("sample"), std::string::npos);
    EXPECT_EQ(description.find("xample"), std::string::npos);
  }
}

TEST(EventTemplatesTest, ExamplesKeepTheKeysInTheFilesOrder) {
  const std::string& example = entry("chatbot", "chatbot.response").example_json;
  EXPECT_LT(example.find("campaignId"), example.find("label"));
  EXPECT_LT(example.find("date"), example.find("response"));
  for (const auto& e : templates_of("netcore-channels")) {
    SCOPED_TRACE(e.name);
    const bool published = e.example_source.rfind("Netcore's published ", 0) == 0;
    const bool adapted = e.example_source.rfind("Adapted from Netcore's ", 0) == 0;
    EXPECT_TRUE(published || adapted) << e.example_source;
  }
}

// The message of a malformed data file, or "" when it parses.
std::string parse_error(std::string_view json) {
  try {
    parse_event_template_set("test-set", json);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(EventTemplatesTest, TheFileFormatIsCheckedFieldByField) {
  const std::string good =
      R"({"eventTypes": [{"name": "a.b", "description": "d", "exampleSource": "s",)"
      R"( "example": {"z": 1, "a": [true, null]}}]})";
  const EventTemplateSet set = parse_event_template_set("test-set", good);
  EXPECT_EQ(set.name, "test-set");
  ASSERT_EQ(set.templates.size(), 1u);
  EXPECT_EQ(set.templates[0].name, "a.b");
  EXPECT_EQ(set.templates[0].description, "d");
  EXPECT_EQ(set.templates[0].example_source, "s");
  EXPECT_EQ(json::parse(set.templates[0].example_json),
            json::parse(R"({"z": 1, "a": [true, null]})"));

  EXPECT_EQ(parse_error(R"({"notes": "n", "eventTypes": [{"name": "a", "description": "d",)"
                        R"( "exampleSource": "s", "example": {}}]})"),
            "");
  EXPECT_NE(parse_error(R"({"eventTypes": [)").find("event template set test-set: not valid JSON"),
            std::string::npos);
  EXPECT_EQ(parse_error("[]"), "event template set test-set: must be a JSON object");
  EXPECT_EQ(parse_error(R"({"eventTypes": []})"),
            "event template set test-set: \"eventTypes\" must be a non-empty array");
  EXPECT_EQ(parse_error(R"({"eventType": []})"),
            "event template set test-set: unknown field \"eventType\"");
  EXPECT_EQ(parse_error(R"({"eventTypes": [{"name": "a", "description": "d", "example": {}}]})"),
            "event template set test-set: eventTypes[0] (a): \"exampleSource\" must be a "
            "non-empty string");
  EXPECT_EQ(parse_error(R"({"eventTypes": [{"name": "", "description": "d"}]})"),
            "event template set test-set: eventTypes[0]: \"name\" must be a non-empty string");
  EXPECT_EQ(parse_error(R"({"eventTypes": [{"name": "a", "description": "d", "exampleSource":)"
                        R"( "s", "example": "{}"}]})"),
            "event template set test-set: eventTypes[0] (a): \"example\" must be an object");
  EXPECT_EQ(parse_error(R"({"eventTypes": [{"name": "a", "description": "d", "exampleSource":)"
                        R"( "s", "example": {}, "extra": 1}]})"),
            "event template set test-set: eventTypes[0]: unknown field \"extra\"");
  const std::string one =
      R"({"name": "a", "description": "d", "exampleSource": "s", "example": {}})";
  EXPECT_EQ(parse_error(R"({"eventTypes": [)" + one + "," + one + "]}"),
            "event template set test-set: event type a appears twice");
}

}  // namespace
}  // namespace hookd
