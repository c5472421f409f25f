#include "journeys/runner.h"

#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hookd {

namespace {

using nlohmann::json;

json parse_object(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_object() ? value : json::object();
}

json parse_value(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  return value.is_discarded() ? json() : value;
}

// The contact's attributes as one JSON object, for contact filters.
std::string attributes_json(const Contact& contact) {
  json out = json::object();
  for (const auto& [name, value] : contact.attributes) out[name] = parse_value(value);
  return out.dump();
}

bool passes(const std::optional<JourneyFilter>& filter, const std::string& document) {
  return !filter || filter->compiled->matches(document);
}

// The activity's params[key] as JSON text; empty when absent.
std::string param_of(const std::string& params, const std::string& key) {
  const json p = parse_object(params);
  const auto it = p.find(key);
  return it == p.end() ? std::string() : it->dump();
}

// "2022-12-02T15:48:05" and 221202154805, as Netcore's event_params carry them.
std::pair<std::string, int64_t> netcore_times(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char iso[32];
  char ts[16];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
  std::strftime(ts, sizeof ts, "%y%m%d%H%M%S", &tm);
  return {iso, std::stoll(ts)};
}

// What a step is about: the activity that moved the run, or the trigger when time did.
struct Moment {
  std::string name;
  std::string params;
  int64_t at = 0;
};

std::string payload(const JourneyDefinition& d, const JourneyNode& node, const Contact& contact,
                    const Moment& moment, const RunState& state, const RunContext& context) {
  json event_params = parse_object(moment.params);
  const json trigger = parse_object(state.trigger_params);
  json custom = json::object();
  for (const auto& name : node.params) {
    if (event_params.contains(name)) {
      custom[name] = event_params[name];
    } else if (trigger.contains(name)) {
      custom[name] = trigger[name];
    }
  }
  json attributes = json::object();
  for (const auto& name : node.attributes) {
    const auto it = contact.attributes.find(name);
    if (it != contact.attributes.end()) attributes[name] = json::parse(it->second);
  }
  const auto [iso, ts] = netcore_times(moment.at);
  event_params["foreignkey"] = contact.key;
  event_params["timestamp"] = iso;
  event_params["ts"] = ts;
  json item = {{"journey_name", d.name},   {"channel", node.channel},     {"event", moment.name},
               {"msgid", context.run_id},  {"webhook_name", node.name},   {"custom_params", custom},
               {"att_params", attributes}, {"event_params", event_params}};
  return json{{context.app_key, json::array({item})}}.dump();
}

// Follows the nodes that do not wait from `node`, which the run has just reached at `now`.
void settle(const JourneyDefinition& d, int node, int64_t now, const Contact& contact,
            const Moment& moment, const RunContext& context, RunStep& step) {
  RunState& s = step.state;
  // The validator refuses loops that pass no waiting node: more steps than nodes is a bug.
  for (size_t guard = 0; guard <= d.nodes.size(); ++guard) {
    const JourneyNode& n = d.nodes.at(static_cast<size_t>(node));
    step.path.push_back(node);
    s.node = node;
    switch (n.type) {
      case JourneyNodeType::kCondition: {
        const std::string subject =
            n.on == JourneyConditionSubject::kContact ? attributes_json(contact) : s.trigger_params;
        node = (passes(n.filter, subject) ? n.if_true : n.if_false).index;
        continue;
      }
      case JourneyNodeType::kWebhook:
        step.webhooks.push_back(
            {node, n.endpoint_id, n.event_type, payload(d, n, contact, moment, s, context)});
        if (!n.next.present()) {
          s.ended = true;
          s.exit_id = n.id;
          return;
        }
        node = n.next.index;
        continue;
      case JourneyNodeType::kExit:
        s.ended = true;
        s.exit_id = n.id;
        return;
      case JourneyNodeType::kWaitFor:
      case JourneyNodeType::kAllOf:
      case JourneyNodeType::kDelay:
        s.wake_at = now + n.duration_ms;
        s.seen.assign(n.activities.size(), false);
        return;
      case JourneyNodeType::kTrigger:
        throw std::logic_error("journey runner: a link to the trigger");
    }
  }
  throw std::logic_error("journey runner: a loop that never waits");
}

bool matches(const JourneyDefinition& d, const std::string& activity_name,
             const std::optional<JourneyFilter>& filter, const JourneyNode& node,
             const RunState& state, const Activity& a, const Contact& contact) {
  if (a.name != activity_name || !passes(filter, a.params)) return false;
  if (node.type == JourneyNodeType::kWaitFor &&
      !passes(node.contact_filter, attributes_json(contact))) {
    return false;
  }
  return !node.correlate || param_of(a.params, d.correlation_key) == state.correlation;
}

}  // namespace

bool starts_run(const JourneyDefinition& d, const Activity& a, const Contact& contact) {
  const JourneyNode& trigger = d.nodes.at(JourneyDefinition::kTriggerIndex);
  return a.name == trigger.activity && passes(trigger.filter, a.params) &&
         passes(trigger.contact_filter, attributes_json(contact));
}

RunStep start_run(const JourneyDefinition& d, const Activity& trigger, const Contact& contact,
                  const RunContext& context) {
  RunStep step;
  step.changed = true;
  RunState& s = step.state;
  s.trigger_name = trigger.name;
  s.trigger_params = trigger.params;
  s.trigger_at = trigger.occurred_at;
  if (!d.correlation_key.empty()) s.correlation = param_of(trigger.params, d.correlation_key);
  step.path.push_back(static_cast<int>(JourneyDefinition::kTriggerIndex));
  const Moment moment{trigger.name, trigger.params, trigger.occurred_at};
  settle(d, d.nodes.at(JourneyDefinition::kTriggerIndex).next.index, trigger.received_at, contact,
         moment, context, step);
  return step;
}

RunStep advance_run(const JourneyDefinition& d, const RunState& state, const Contact& contact,
                    const Activity* activity, int64_t now, const RunContext& context) {
  RunStep step;
  step.state = state;
  if (state.ended) return step;
  const JourneyNode& n = d.nodes.at(static_cast<size_t>(state.node));
  const Moment at_trigger{state.trigger_name, state.trigger_params, state.trigger_at};
  if (now >= state.wake_at) {
    // Time ran out first: the activity that comes with it does not count.
    step.changed = true;
    const int next = n.type == JourneyNodeType::kDelay ? n.next.index : n.timed_out.index;
    settle(d, next, state.wake_at, contact, at_trigger, context, step);
    return step;
  }
  if (!activity || n.type == JourneyNodeType::kDelay) return step;
  const Moment moment{activity->name, activity->params, activity->occurred_at};
  if (n.type == JourneyNodeType::kWaitFor) {
    if (!matches(d, n.activity, n.filter, n, state, *activity, contact)) return step;
    step.changed = true;
    settle(d, n.matched.index, now, contact, moment, context, step);
    return step;
  }
  for (size_t i = 0; i < n.activities.size(); ++i) {  // allOf
    if (state.seen.at(i) || !matches(d, n.activities[i].activity, n.activities[i].filter, n, state,
                                     *activity, contact)) {
      continue;
    }
    step.changed = true;
    step.state.seen[i] = true;
    break;
  }
  if (!step.changed) return step;
  for (const bool seen : step.state.seen) {
    if (!seen) return step;
  }
  settle(d, n.matched.index, now, contact, moment, context, step);
  return step;
}

std::vector<std::string> awaited_activities(const JourneyDefinition& d, const RunState& state) {
  if (state.ended) return {};
  const JourneyNode& n = d.nodes.at(static_cast<size_t>(state.node));
  if (n.type == JourneyNodeType::kWaitFor) return {n.activity};
  std::vector<std::string> out;
  for (size_t i = 0; i < n.activities.size(); ++i) {
    if (!state.seen.at(i)) out.push_back(n.activities[i].activity);
  }
  return out;
}

}  // namespace hookd
