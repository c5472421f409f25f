#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/secret_box.h"
#include "model/application.h"
#include "model/endpoint.h"
#include "model/inbound.h"
#include "model/journey.h"
#include "model/token.h"

// How catalog objects are persisted: one JSON document per object, the same in every backend.
// Endpoint and source documents hold their secrets (endpoint secrets, signing private keys,
// basic-auth and verification passwords, keys and secrets) sealed by `secrets` when it has a key
// (common/secret_box.h); reading opens them, plain text included.
namespace hookd::documents {

std::string to_doc(const Application& app);
std::string to_doc(const EventType& event_type);
std::string to_doc(const Endpoint& endpoint, const SecretBox& secrets);
std::string to_doc(const InboundSource& source, const SecretBox& secrets);
std::string to_doc(const ApiToken& token);  // holds the secret's hash, never the secret
std::string to_doc(const Journey& journey);

// Throw std::runtime_error on a document that does not parse, SecretBoxError on a secret that
// does not open.
Application application_from_doc(const std::string& doc);
EventType event_type_from_doc(const std::string& doc);
Endpoint endpoint_from_doc(const std::string& doc, const SecretBox& secrets);
InboundSource source_from_doc(const std::string& doc, const SecretBox& secrets);
ApiToken token_from_doc(const std::string& doc);
Journey journey_from_doc(const std::string& doc);

std::string strings_to_json(const std::vector<std::string>& values);
std::vector<std::string> strings_from_json(const std::string& json);

}  // namespace hookd::documents
