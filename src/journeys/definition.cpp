#include "journeys/definition.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/json_limits.h"
#include "journeys/definition_parts.h"
#include "journeys/duration.h"

namespace hookd {

using journey_parse::FieldReader;
using journey_parse::json;
using journey_parse::Refusal;

namespace {

constexpr size_t kMaxNameChars = 256;
constexpr size_t kMaxDescriptionChars = 1024;

constexpr std::pair<JourneyReentry, std::string_view> kReentryNames[] = {
    {JourneyReentry::kOnce, "once"},
    {JourneyReentry::kAfterExit, "afterExit"},
    {JourneyReentry::kPerKey, "perKey"}};

std::string_view reentry_name(JourneyReentry reentry) {
  for (const auto& [value, name] : kReentryNames) {
    if (value == reentry) return name;
  }
  return "once";
}

// The body as a JSON object: bounded in size and nesting before anything walks it recursively.
json parse_document(std::string_view text) {
  const int depth = std::min(kMaxJourneyJsonDepth, max_json_depth());
  if (text.size() > kMaxJourneyJsonBytes) throw Refusal{{"", "larger than 1 MiB"}};
  if (nests_deeper_than(text, depth)) {
    throw Refusal{{"", "JSON nested deeper than " + std::to_string(depth) + " levels"}};
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Refusal{{"", "malformed JSON at byte " + std::to_string(e.byte)}};
  } catch (const json::exception&) {
    throw Refusal{{"", "malformed JSON"}};
  }
  if (!doc.is_object()) {
    throw Refusal{
        {"", "a journey definition must be a JSON object, got " + journey_parse::excerpt(doc)}};
  }
  return doc;
}

JourneyReentry read_reentry(const FieldReader& r) {
  const json* value = r.find("reentry");
  if (value == nullptr) return JourneyReentry::kOnce;
  for (const auto& [reentry, name] : kReentryNames) {
    if (value->is_string() && value->get_ref<const std::string&>() == name) return reentry;
  }
  r.refuse("reentry",
           "must be \"once\", \"afterExit\" or \"perKey\", got " + journey_parse::excerpt(*value));
}

std::string read_correlation_key(const FieldReader& r) {
  const json* value = r.find("correlationKey");
  if (value == nullptr) return {};
  if (!value->is_string() || !journey_parse::is_param_name(value->get_ref<const std::string&>())) {
    r.refuse("correlationKey", "must be 1 to 128 characters of A-Z a-z 0-9 _ . -, got " +
                                   journey_parse::excerpt(*value));
  }
  return value->get<std::string>();
}

std::vector<JourneyNode> read_nodes(const FieldReader& r, const journey_parse::NodeRules& rules) {
  const json& list = r.require("nodes");
  if (!list.is_array()) {
    r.refuse("nodes", "must be an array of nodes, got " + journey_parse::excerpt(list));
  }
  if (list.empty() || list.size() > kMaxJourneyNodes) {
    r.refuse("nodes", "must have 1 to 100 nodes, got " + std::to_string(list.size()));
  }
  std::vector<JourneyNode> nodes;
  for (const json& value : list) nodes.push_back(journey_parse::read_node(value, nodes, rules));
  return nodes;
}

JourneyDefinition read_definition(const json& doc, const JourneyRefs& refs) {
  const FieldReader r(doc, "");
  r.allow_only({"name", "description", "reentry", "correlationKey", "nodes"},
               "a journey definition");
  JourneyDefinition d;
  d.name = r.required_text("name", 1, kMaxNameChars);
  d.description = r.text("description", 0, kMaxDescriptionChars).value_or(std::string());
  d.reentry = read_reentry(r);
  d.correlation_key = read_correlation_key(r);
  if (d.reentry == JourneyReentry::kPerKey && d.correlation_key.empty()) {
    r.refuse("correlationKey", "is required when reentry is \"perKey\"");
  }
  d.nodes = read_nodes(r, {!d.correlation_key.empty(), refs});
  return d;
}

}  // namespace

std::string_view journey_node_type_name(JourneyNodeType type) {
  switch (type) {
    case JourneyNodeType::kTrigger:
      return "trigger";
    case JourneyNodeType::kWaitFor:
      return "waitFor";
    case JourneyNodeType::kAllOf:
      return "allOf";
    case JourneyNodeType::kCondition:
      return "condition";
    case JourneyNodeType::kDelay:
      return "delay";
    case JourneyNodeType::kWebhook:
      return "webhook";
    case JourneyNodeType::kExit:
      return "exit";
  }
  return "exit";
}

Checked<JourneyDefinition> parse_journey_definition(std::string_view text,
                                                    const JourneyRefs& refs) {
  try {
    JourneyDefinition d = read_definition(parse_document(text), refs);
    if (auto problem = journey_parse::resolve_links(d)) return *std::move(problem);
    if (auto problem = journey_parse::check_journey_graph(d)) return *std::move(problem);
    return d;
  } catch (const Refusal& refusal) {
    return refusal.problem;
  }
}

// to_json ---------------------------------------------------------------------------------------

namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json render_filter(const JourneyFilter& filter) {
  ordered_json value = ordered_json::parse(filter.json, nullptr, false);
  return value.is_discarded() ? ordered_json() : value;  // a hand-made filter that is not JSON
}

void render_activity(ordered_json& out, const JourneyNode& node) {
  if (!node.activity.empty()) out["activity"] = node.activity;
  if (node.activities.empty()) return;
  ordered_json& list = out["activities"] = ordered_json::array();
  for (const auto& match : node.activities) {
    ordered_json entry{{"activity", match.activity}};
    if (match.filter) entry["filter"] = render_filter(*match.filter);
    list.push_back(std::move(entry));
  }
}

void render_webhook(ordered_json& out, const JourneyNode& node) {
  if (!node.name.empty()) out["name"] = node.name;
  if (!node.endpoint_id.empty()) out["endpointId"] = node.endpoint_id;
  if (!node.event_type.empty()) out["eventType"] = node.event_type;
  if (!node.params.empty()) out["params"] = node.params;
  if (!node.attributes.empty()) out["attributes"] = node.attributes;
  if (!node.channel.empty()) out["channel"] = node.channel;
}

// The fields a node has, in the order the format lists them; empty ones left out.
ordered_json render_node(const JourneyNode& node) {
  ordered_json out{{"id", node.id}, {"type", std::string(journey_node_type_name(node.type))}};
  if (node.type == JourneyNodeType::kCondition) {
    out["on"] = node.on == JourneyConditionSubject::kTrigger ? "trigger" : "contact";
  }
  render_activity(out, node);
  if (node.filter) out["filter"] = render_filter(*node.filter);
  if (node.contact_filter) out["contactFilter"] = render_filter(*node.contact_filter);
  if (node.duration_ms != 0) {
    out[node.type == JourneyNodeType::kDelay ? "duration" : "within"] =
        format_journey_duration(node.duration_ms);
  }
  if (node.correlate) out["correlate"] = true;
  render_webhook(out, node);
  journey_parse::for_each_link(node, [&](std::string_view field, const JourneyLink& link) {
    if (link.present()) out[std::string(field)] = link.id;
  });
  return out;
}

}  // namespace

std::string to_json(const JourneyDefinition& d) {
  ordered_json out{{"name", d.name}};
  if (!d.description.empty()) out["description"] = d.description;
  out["reentry"] = std::string(reentry_name(d.reentry));
  if (!d.correlation_key.empty()) out["correlationKey"] = d.correlation_key;
  ordered_json& nodes = out["nodes"] = ordered_json::array();
  for (const auto& node : d.nodes) nodes.push_back(render_node(node));
  return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace hookd
