// Reading one node of a journey definition: its id and type, then the fields its type allows.
#include <algorithm>
#include <utility>

#include "journeys/definition_parts.h"

namespace hookd::journey_parse {

namespace {

constexpr size_t kMaxIdChars = 64;
constexpr size_t kMaxActivityChars = 256;
constexpr size_t kMaxTargetChars = 256;  // endpointId, eventType, webhook name
constexpr size_t kMaxChannelChars = 64;

constexpr JourneyNodeType kTypes[] = {JourneyNodeType::kTrigger, JourneyNodeType::kWaitFor,
                                      JourneyNodeType::kAllOf,   JourneyNodeType::kCondition,
                                      JourneyNodeType::kDelay,   JourneyNodeType::kWebhook,
                                      JourneyNodeType::kExit};

bool is_node_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdChars && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string read_id(const FieldReader& r) {
  const json& id = r.require("id");
  if (!id.is_string() || !is_node_id(id.get_ref<const std::string&>())) {
    r.refuse("id", "must be 1 to 64 characters of A-Z a-z 0-9 _ -, got " + excerpt(id));
  }
  return id.get<std::string>();
}

JourneyNodeType read_type(const FieldReader& r) {
  const json& type = r.require("type");
  if (type.is_string()) {
    for (const auto candidate : kTypes) {
      if (journey_node_type_name(candidate) == type.get_ref<const std::string&>()) return candidate;
    }
  }
  r.refuse("type", "must be one of trigger, waitFor, allOf, condition, delay, webhook, exit, got " +
                       excerpt(type));
}

// The trigger comes first and only there; ids are unique.
void check_place(const FieldReader& r, const JourneyNode& node,
                 const std::vector<JourneyNode>& earlier) {
  for (size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].id == node.id) r.refuse("id", "is already the id of " + node_path(i));
  }
  const auto type_name = excerpt(std::string(journey_node_type_name(node.type)));
  if (earlier.empty() && node.type != JourneyNodeType::kTrigger) {
    r.refuse("type", "must be \"trigger\": the first node is the trigger, got " + type_name);
  }
  if (!earlier.empty() && node.type == JourneyNodeType::kTrigger) {
    r.refuse("type", "is \"trigger\", but a journey has one trigger, " +
                         excerpt(earlier.front().id) + " (nodes[0])");
  }
}

void read_correlate(const FieldReader& r, const NodeRules& rules, JourneyNode& node) {
  node.correlate = r.flag("correlate");
  if (node.correlate && !rules.has_correlation_key) {
    r.refuse("correlate", "is true, but the journey has no correlationKey to correlate on");
  }
}

void read_trigger(const FieldReader& r, JourneyNode& node) {
  r.allow_only({"id", "type", "activity", "filter", "contactFilter", "next"}, "a trigger node");
  node.activity = r.required_text("activity", 1, kMaxActivityChars);
  node.filter = r.filter("filter");
  node.contact_filter = r.filter("contactFilter");
  node.next = r.link("next", true);
}

void read_wait_for(const FieldReader& r, const NodeRules& rules, JourneyNode& node) {
  r.allow_only({"id", "type", "activity", "filter", "contactFilter", "within", "correlate",
                "matched", "timedOut"},
               "a waitFor node");
  node.activity = r.required_text("activity", 1, kMaxActivityChars);
  node.filter = r.filter("filter");
  node.contact_filter = r.filter("contactFilter");
  node.duration_ms = r.duration("within");
  read_correlate(r, rules, node);
  node.matched = r.link("matched", true);
  node.timed_out = r.link("timedOut", true);
}

JourneyActivityMatch read_activity(const json& value, const FieldReader& node, size_t i) {
  const std::string local = "activities[" + std::to_string(i) + "]";
  FieldReader r(value, node.path_of(local), local);
  r.set_subject(node.subject());
  if (!value.is_object()) r.refuse("", "must be a JSON object, got " + excerpt(value));
  r.allow_only({"activity", "filter"}, "an allOf activity");
  return JourneyActivityMatch{r.required_text("activity", 1, kMaxActivityChars),
                              r.filter("filter")};
}

void read_all_of(const FieldReader& r, const NodeRules& rules, JourneyNode& node) {
  r.allow_only({"id", "type", "activities", "within", "correlate", "matched", "timedOut"},
               "an allOf node");
  const json& list = r.require("activities");
  if (!list.is_array()) r.refuse("activities", "must be an array, got " + excerpt(list));
  if (list.size() < 2 || list.size() > kMaxAllOfActivities) {
    r.refuse("activities", "must have 2 to 10 activities, got " + std::to_string(list.size()));
  }
  for (size_t i = 0; i < list.size(); ++i) node.activities.push_back(read_activity(list[i], r, i));
  node.duration_ms = r.duration("within");
  read_correlate(r, rules, node);
  node.matched = r.link("matched", true);
  node.timed_out = r.link("timedOut", true);
}

void read_condition(const FieldReader& r, JourneyNode& node) {
  r.allow_only({"id", "type", "on", "filter", "then", "else"}, "a condition node");
  const json& on = r.require("on");
  if (on == "contact") {
    node.on = JourneyConditionSubject::kContact;
  } else if (on == "trigger") {
    node.on = JourneyConditionSubject::kTrigger;
  } else {
    r.refuse("on", "must be \"contact\" or \"trigger\", got " + excerpt(on));
  }
  (void)r.require("filter");
  node.filter = r.filter("filter");
  node.if_true = r.link("then", true);
  node.if_false = r.link("else", true);
}

void read_delay(const FieldReader& r, JourneyNode& node) {
  r.allow_only({"id", "type", "duration", "next"}, "a delay node");
  node.duration_ms = r.duration("duration");
  node.next = r.link("next", true);
}

// endpointId or eventType, and whether the application knows it.
void read_webhook_target(const FieldReader& r, const JourneyRefs& refs, JourneyNode& node) {
  node.endpoint_id = r.text("endpointId", 1, kMaxTargetChars).value_or(std::string());
  node.event_type = r.text("eventType", 1, kMaxTargetChars).value_or(std::string());
  if (node.endpoint_id.empty() == node.event_type.empty()) {
    r.refuse("", std::string("needs exactly one of endpointId and eventType, got ") +
                     (node.endpoint_id.empty() ? "neither" : "both"));
  }
  if (!node.endpoint_id.empty() && refs.endpoint_exists &&
      !refs.endpoint_exists(node.endpoint_id)) {
    r.refuse("endpointId", excerpt(node.endpoint_id) + " is not an endpoint of this application");
  }
  if (!node.event_type.empty() && refs.event_type_exists &&
      !refs.event_type_exists(node.event_type)) {
    r.refuse("eventType", excerpt(node.event_type) + " is not an event type of this application");
  }
}

void read_webhook(const FieldReader& r, const NodeRules& rules, JourneyNode& node) {
  r.allow_only(
      {"id", "type", "name", "endpointId", "eventType", "params", "attributes", "channel", "next"},
      "a webhook node");
  node.name = r.text("name", 1, kMaxTargetChars).value_or(std::string());
  read_webhook_target(r, rules.refs, node);
  node.params = r.names("params", kMaxWebhookNames);
  node.attributes = r.names("attributes", kMaxWebhookNames);
  node.channel = r.text("channel", 1, kMaxChannelChars).value_or("webhook");
  node.next = r.link("next", false);
}

void read_fields(const FieldReader& r, const NodeRules& rules, JourneyNode& node) {
  switch (node.type) {
    case JourneyNodeType::kTrigger:
      return read_trigger(r, node);
    case JourneyNodeType::kWaitFor:
      return read_wait_for(r, rules, node);
    case JourneyNodeType::kAllOf:
      return read_all_of(r, rules, node);
    case JourneyNodeType::kCondition:
      return read_condition(r, node);
    case JourneyNodeType::kDelay:
      return read_delay(r, node);
    case JourneyNodeType::kWebhook:
      return read_webhook(r, rules, node);
    case JourneyNodeType::kExit:
      return r.allow_only({"id", "type"}, "an exit node");
  }
}

}  // namespace

std::string node_subject(std::string_view id) { return "node \"" + std::string(id) + "\": "; }

std::string node_path(size_t index) { return "nodes[" + std::to_string(index) + "]"; }

JourneyNode read_node(const json& value, const std::vector<JourneyNode>& earlier,
                      const NodeRules& rules) {
  FieldReader r(value, node_path(earlier.size()));
  if (!value.is_object()) r.refuse("", "a node must be a JSON object, got " + excerpt(value));
  JourneyNode node;
  node.id = read_id(r);
  r.set_subject(node_subject(node.id));
  node.type = read_type(r);
  check_place(r, node, earlier);
  read_fields(r, rules, node);
  return node;
}

}  // namespace hookd::journey_parse
