#include "catalog/catalogues.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/message_input.h"

namespace hookd {
namespace {

using nlohmann::json;

const CatalogueEntry& entry(std::string_view catalogue, std::string_view name) {
  const auto* entries = find_catalogue(catalogue);
  if (entries == nullptr) throw std::runtime_error("no catalogue " + std::string(catalogue));
  for (const auto& e : *entries) {
    if (e.name == name) return e;
  }
  throw std::runtime_error("no event type " + std::string(name));
}

// The single activity of a Netcore batch: {"<panel>": [activity, ...]}.
json first_activity(const CatalogueEntry& e) {
  const json example = json::parse(e.example_json);
  return example.begin()->at(0);
}

TEST(CatalogueTest, BothCataloguesArePresent) {
  EXPECT_EQ(catalogue_names(), (std::vector<std::string>{"netcore-channels", "chatbot"}));
  ASSERT_NE(find_catalogue("netcore-channels"), nullptr);
  ASSERT_NE(find_catalogue("chatbot"), nullptr);
  EXPECT_EQ(find_catalogue("netcore-channels")->size(), 19u);
  EXPECT_EQ(find_catalogue("chatbot")->size(), 2u);
  EXPECT_EQ(find_catalogue("nope"), nullptr);
  EXPECT_EQ(find_catalogue(""), nullptr);
}

TEST(CatalogueTest, EveryEntryHasAValidNameADescriptionAndAnObjectExample) {
  for (const auto& catalogue : catalogue_names()) {
    std::set<std::string> seen;
    for (const auto& e : *find_catalogue(catalogue)) {
      SCOPED_TRACE(e.name);
      EXPECT_TRUE(api::is_valid_name(e.name));
      EXPECT_TRUE(seen.insert(e.name).second) << "duplicate";
      EXPECT_FALSE(e.description.empty());
      const json example = json::parse(e.example_json, nullptr, false);
      ASSERT_FALSE(example.is_discarded()) << "invalid JSON";
      EXPECT_TRUE(example.is_object());
    }
  }
}

TEST(CatalogueTest, NetcoreExamplesNameTheirChannelAndEvent) {
  for (const auto& e : *find_catalogue("netcore-channels")) {
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

TEST(CatalogueTest, PublishedSamplesAreKeptAsPublished) {
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

TEST(CatalogueTest, DescriptionsSayWhatHappenedNotWhereTheExampleCameFrom) {
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

}  // namespace
}  // namespace hookd
