#pragma once

#include <string>

#include "store/models.h"

// How catalog objects are persisted: one JSON document per object, the same in every backend.
namespace hookd::documents {

std::string to_doc(const Application& app);
std::string to_doc(const EventType& event_type);
std::string to_doc(const Endpoint& endpoint);

// Throw std::runtime_error on a document that does not parse.
Application application_from_doc(const std::string& doc);
EventType event_type_from_doc(const std::string& doc);
Endpoint endpoint_from_doc(const std::string& doc);

std::string strings_to_json(const std::vector<std::string>& values);
std::vector<std::string> strings_from_json(const std::string& json);

}  // namespace hookd::documents
