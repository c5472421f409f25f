#pragma once

#include <string>
#include <string_view>
#include <vector>

// Event templates: ready sets of event types, each type with a description and an example
// payload, that a user loads in one call. The HTTP API calls a set a "catalogue"
// (GET /api/v1/event-type/catalogue, POST /api/v1/event-type/catalogue/{name}); the code calls it
// an EventTemplateSet, so that it is not mistaken for the in-memory Catalog of catalog/.
//
// The sets are the JSON files of src/event_templates/data/, one per set, named after it and
// embedded in the binary at build time. Each file is an object:
//   {"notes": "...", "eventTypes": [{"name", "description", "exampleSource", "example"}, ...]}
// where "notes" (optional) is for whoever edits the file, "description" is what happened (the
// API returns it), "exampleSource" where the example comes from (the vendor's published sample,
// or adapted from which one), and "example" a JSON object. The examples are the payloads the
// vendors' documentation publishes (Netcore CE channel activities, a chatbot platform's webhook).
namespace hookd {

struct EventTemplate {
  std::string name;            // the event type name, e.g. "email.opened"
  std::string description;     // what happened
  std::string example_source;  // where the example comes from; not returned by the API
  std::string example_json;    // a JSON object, its keys in the file's order, 2-space indented
};

struct EventTemplateSet {
  std::string name;  // e.g. "netcore-channels"
  std::vector<EventTemplate> templates;
};

// Every set, in a fixed order ("netcore-channels", "chatbot"). The embedded files are parsed
// once, at the first call, from whichever thread makes it; the result is constant for the life
// of the process, so the references never dangle and any thread may read them. Malformed data
// throws std::invalid_argument from that call (the unit tests make the first call).
const std::vector<EventTemplateSet>& event_template_sets();

// The set named `name`, or null when there is none.
const EventTemplateSet* find_event_template_set(std::string_view name);

// Parses one data file (the format above). Throws std::invalid_argument naming the set and the
// entry or field at fault. Exposed for the tests of the format.
EventTemplateSet parse_event_template_set(std::string_view name, std::string_view json);

}  // namespace hookd
