#include "journeys/run_state.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace hookd {

namespace {

using nlohmann::json;

json activity_json(const Activity& a) {
  return {{"id", a.id},
          {"name", a.name},
          {"contact", a.contact_key},
          {"seq", a.seq},
          {"params", a.params},
          {"occurredAt", a.occurred_at},
          {"app", a.app_id},
          {"receivedAt", a.received_at}};
}

Activity activity_of(const json& j) {
  Activity a;
  a.id = j.at("id").get<std::string>();
  a.app_id = j.at("app").get<std::string>();
  a.contact_key = j.at("contact").get<std::string>();
  a.name = j.at("name").get<std::string>();
  a.params = j.at("params").get<std::string>();
  a.occurred_at = j.at("occurredAt").get<int64_t>();
  a.received_at = j.at("receivedAt").get<int64_t>();
  a.seq = j.at("seq").get<int64_t>();
  return a;
}

}  // namespace

std::string run_state_json(const RunState& s) {
  json path = json::array();
  for (const auto& step : s.path) path.push_back({step.node, step.at});
  json held = json::array();
  for (const auto& a : s.held) held.push_back(activity_json(a));
  return json{
      {"node", s.node},
      {"wakeAt", s.wake_at},
      {"ended", s.ended},
      {"exit", s.exit_id},
      {"trigger", {{"name", s.trigger_name}, {"params", s.trigger_params}, {"at", s.trigger_at}}},
      {"correlation", s.correlation},
      {"seen", s.seen},
      {"path", path},
      {"held", held}}
      .dump();
}

RunState parse_run_state(const std::string& text) {
  try {
    const json j = json::parse(text);
    RunState s;
    s.node = j.at("node").get<int>();
    s.wake_at = j.at("wakeAt").get<int64_t>();
    s.ended = j.at("ended").get<bool>();
    s.exit_id = j.at("exit").get<std::string>();
    const json& trigger = j.at("trigger");
    s.trigger_name = trigger.at("name").get<std::string>();
    s.trigger_params = trigger.at("params").get<std::string>();
    s.trigger_at = trigger.at("at").get<int64_t>();
    s.correlation = j.at("correlation").get<std::string>();
    s.seen = j.at("seen").get<std::vector<bool>>();
    for (const auto& step : j.at("path")) {
      s.path.push_back({step.at(0).get<std::string>(), step.at(1).get<int64_t>()});
    }
    for (const auto& a : j.at("held")) s.held.push_back(activity_of(a));
    return s;
  } catch (const json::exception& e) {
    throw std::runtime_error(std::string("journey run state: ") + e.what());
  }
}

}  // namespace hookd
