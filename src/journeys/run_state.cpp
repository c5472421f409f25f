#include "journeys/run_state.h"

#include <simdjson.h>

#include <stdexcept>
#include <string_view>

#include "common/json_text.h"

// Written and read by hand (simdjson for reading): the engine renders a run's state for every
// run it moves and parses it for every run it reads, so a document tree here was a fifth of
// its time.
namespace hookd {

namespace {

// A key of the object `out` is writing, after a comma unless it is the first.
void add_key(std::string& out, std::string_view key) {
  if (out.back() != '{') out.push_back(',');
  out.push_back('"');
  out += key;
  out += "\":";
}

void add(std::string& out, std::string_view key, std::string_view text) {
  add_key(out, key);
  append_json_string(out, text);
}

void add(std::string& out, std::string_view key, int64_t value) {
  add_key(out, key);
  out += std::to_string(value);
}

void append_activity(std::string& out, const Activity& a) {
  out.push_back('{');
  add(out, "id", a.id);
  add(out, "name", a.name);
  add(out, "contact", a.contact_key);
  add(out, "seq", a.seq);
  add(out, "params", a.params);
  add(out, "occurredAt", a.occurred_at);
  add(out, "app", a.app_id);
  add(out, "receivedAt", a.received_at);
  out.push_back('}');
}

std::string text(simdjson::dom::element e, const char* key) {
  return std::string(std::string_view(e[key]));
}

int64_t number(simdjson::dom::element e, const char* key) { return int64_t(e[key]); }

Activity activity_of(simdjson::dom::element e) {
  Activity a;
  a.id = text(e, "id");
  a.app_id = text(e, "app");
  a.contact_key = text(e, "contact");
  a.name = text(e, "name");
  a.params = text(e, "params");
  a.occurred_at = number(e, "occurredAt");
  a.received_at = number(e, "receivedAt");
  a.seq = number(e, "seq");
  return a;
}

}  // namespace

std::string run_state_json(const RunState& s) {
  std::string out;
  out.reserve(256 + s.trigger_params.size() + 32 * s.path.size());
  out.push_back('{');
  add(out, "node", int64_t{s.node});
  add(out, "wakeAt", s.wake_at);
  add_key(out, "ended");
  out += s.ended ? "true" : "false";
  add(out, "exit", s.exit_id);
  add_key(out, "trigger");
  out.push_back('{');
  add(out, "name", s.trigger_name);
  add(out, "params", s.trigger_params);
  add(out, "at", s.trigger_at);
  out.push_back('}');
  add(out, "correlation", s.correlation);
  add_key(out, "seen");
  out.push_back('[');
  for (size_t i = 0; i < s.seen.size(); ++i) {
    if (i) out.push_back(',');
    out += s.seen[i] ? "true" : "false";
  }
  out += "]";
  add_key(out, "path");
  out.push_back('[');
  for (size_t i = 0; i < s.path.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    append_json_string(out, s.path[i].node);
    out.push_back(',');
    out += std::to_string(s.path[i].at);
    out.push_back(']');
  }
  out += "]";
  add_key(out, "held");
  out.push_back('[');
  for (size_t i = 0; i < s.held.size(); ++i) {
    if (i) out.push_back(',');
    append_activity(out, s.held[i]);
  }
  out += "]}";
  return out;
}

RunState parse_run_state(const std::string& json) {
  thread_local simdjson::dom::parser parser;
  try {
    const simdjson::dom::element j = parser.parse(json);
    RunState s;
    s.node = static_cast<int>(number(j, "node"));
    s.wake_at = number(j, "wakeAt");
    s.ended = bool(j["ended"]);
    s.exit_id = text(j, "exit");
    const simdjson::dom::element trigger = j["trigger"];
    s.trigger_name = text(trigger, "name");
    s.trigger_params = text(trigger, "params");
    s.trigger_at = number(trigger, "at");
    s.correlation = text(j, "correlation");
    for (const simdjson::dom::element seen : simdjson::dom::array(j["seen"])) {
      s.seen.push_back(bool(seen));
    }
    for (const simdjson::dom::element step : simdjson::dom::array(j["path"])) {
      const simdjson::dom::array pair = step;
      s.path.push_back({std::string(std::string_view(pair.at(0))), int64_t(pair.at(1))});
    }
    for (const simdjson::dom::element a : simdjson::dom::array(j["held"])) {
      s.held.push_back(activity_of(a));
    }
    return s;
  } catch (const simdjson::simdjson_error& e) {
    throw std::runtime_error(std::string("journey run state: ") + e.what());
  }
}

}  // namespace hookd
