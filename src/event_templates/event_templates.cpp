#include "event_templates/event_templates.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "event_templates/embedded_data.h"

namespace hookd {

namespace {

// Keeps the examples' keys in the order the file writes them, as the vendors publish them.
using Json = nlohmann::ordered_json;

[[noreturn]] void fail(std::string_view set, const std::string& what) {
  throw std::invalid_argument("event template set " + std::string(set) + ": " + what);
}

void reject_unknown_keys(std::string_view set, const std::string& where, const Json& object,
                         std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || key == k;
    if (!found) fail(set, where + "unknown field \"" + key + "\"");
  }
}

std::string read_text(std::string_view set, const std::string& where, const Json& object,
                      const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    fail(set, where + "\"" + field + "\" must be a non-empty string");
  }
  return it->get<std::string>();
}

EventTemplate read_template(std::string_view set, size_t index, const Json& entry) {
  std::string where = "eventTypes[" + std::to_string(index) + "]: ";
  if (!entry.is_object()) fail(set, where + "must be an object");
  reject_unknown_keys(set, where, entry, {"name", "description", "exampleSource", "example"});
  EventTemplate t;
  t.name = read_text(set, where, entry, "name");
  where = "eventTypes[" + std::to_string(index) + "] (" + t.name + "): ";
  t.description = read_text(set, where, entry, "description");
  t.example_source = read_text(set, where, entry, "exampleSource");
  const auto example = entry.find("example");
  if (example == entry.end() || !example->is_object()) {
    fail(set, where + "\"example\" must be an object");
  }
  t.example_json = example->dump(2);
  return t;
}

std::vector<EventTemplateSet> parse_embedded_sets() {
  std::vector<EventTemplateSet> sets;
  for (const EmbeddedFile& file : embedded_event_template_files()) {
    sets.push_back(parse_event_template_set(file.name, file.bytes));
  }
  return sets;
}

}  // namespace

EventTemplateSet parse_event_template_set(std::string_view name, std::string_view json) {
  Json doc;
  try {
    doc = Json::parse(json);
  } catch (const Json::parse_error& e) {
    fail(name, std::string("not valid JSON: ") + e.what());  // what() gives the byte offset
  }
  if (!doc.is_object()) fail(name, "must be a JSON object");
  reject_unknown_keys(name, "", doc, {"notes", "eventTypes"});
  if (doc.contains("notes") && !doc["notes"].is_string()) fail(name, "\"notes\" must be a string");
  const auto types = doc.find("eventTypes");
  if (types == doc.end() || !types->is_array() || types->empty()) {
    fail(name, "\"eventTypes\" must be a non-empty array");
  }
  EventTemplateSet set{std::string(name), {}};
  std::set<std::string> seen;
  for (size_t i = 0; i < types->size(); ++i) {
    EventTemplate t = read_template(name, i, (*types)[i]);
    if (!seen.insert(t.name).second) fail(name, "event type " + t.name + " appears twice");
    set.templates.push_back(std::move(t));
  }
  return set;
}

const std::vector<EventTemplateSet>& event_template_sets() {
  static const std::vector<EventTemplateSet> sets = parse_embedded_sets();
  return sets;
}

const EventTemplateSet* find_event_template_set(std::string_view name) {
  for (const auto& set : event_template_sets()) {
    if (set.name == name) return &set;
  }
  return nullptr;
}

}  // namespace hookd
