#pragma once

#include <string>
#include <string_view>
#include <vector>

// Ready event catalogues: sets of event types, each with a description and an example payload,
// that a user loads in one call (POST /api/v1/event-type/catalogue/{name}). The examples are the
// payloads the vendors' documentation publishes (Netcore CE channel activities, a chatbot
// platform's webhook); where the documentation lists an event but shows no sample, the example is
// adapted from the closest sample and a comment on the entry says which.
namespace hookd {

struct CatalogueEntry {
  std::string name;          // the event type name, e.g. "email.opened"
  std::string description;   // what happened (the example's origin is in a comment on the entry)
  std::string example_json;  // a JSON object
};

// The catalogue's event types in a fixed order, or null when no catalogue has that name.
// The data is constant for the life of the process: the pointer never dangles, and the
// vectors are safe to read from any thread.
const std::vector<CatalogueEntry>* find_catalogue(std::string_view name);

// Every catalogue name, in a fixed order ("netcore-channels", "chatbot").
std::vector<std::string> catalogue_names();

}  // namespace hookd
