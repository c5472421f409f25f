#include "api/event_examples.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace hookd::api {

namespace {

using nlohmann::json;

// The `examples` of the schema version with the highest number, or an empty array.
json newest_schema_examples(const std::string& schemas_json) {
  if (schemas_json.empty()) return json::array();
  const json schemas = json::parse(schemas_json, nullptr, false);
  if (!schemas.is_object()) return json::array();
  const json* newest = nullptr;
  long newest_version = -1;
  for (const auto& [key, schema] : schemas.items()) {
    char* end = nullptr;
    const long version = std::strtol(key.c_str(), &end, 10);
    if (end == key.c_str() || *end != '\0' || version <= newest_version) continue;
    newest_version = version;
    newest = &schema;
  }
  if (!newest || !newest->is_object()) return json::array();
  const auto examples = newest->find("examples");
  return examples != newest->end() && examples->is_array() ? *examples : json::array();
}

}  // namespace

Checked<std::string> pick_example(const EventType& type, int64_t index) {
  std::vector<std::string> examples;
  if (!type.example_json.empty()) examples.push_back(type.example_json);
  for (const json& example : newest_schema_examples(type.schemas_json)) {
    examples.push_back(example.dump());
  }
  if (examples.empty()) {
    return Problem{"eventType", type.name +
                                    " has no example; set its `example`, or `examples` in its "
                                    "schema (PATCH /api/v1/event-type/" +
                                    type.name + ")"};
  }
  if (index < 0 || index >= static_cast<int64_t>(examples.size())) {
    return Problem{"exampleIndex", "must be from 0 to " + std::to_string(examples.size() - 1) +
                                       ": " + type.name + " has " +
                                       std::to_string(examples.size()) + " example(s)"};
  }
  return examples[static_cast<size_t>(index)];
}

}  // namespace hookd::api
