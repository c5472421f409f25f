#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Applications and event types: the plain data hookd stores and the Catalog keeps in memory.
// Plain structs: copy them freely; no thread rules of their own.
namespace hookd {

// Who is emailed about an application's or endpoint's failures (docs/failures.md).
struct AlertSettings {
  std::vector<std::string> emails;
  std::string frequency;  // "immediate", "hourly", "daily"; empty: inherited (or immediate)
};

struct Application {
  std::string id;
  std::string uid;  // empty when unset
  std::string name;
  std::string metadata_json = "{}";
  std::optional<int64_t> throttle_rate;
  AlertSettings alerts;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct EventType {
  std::string name;
  std::string description;
  std::string schemas_json;  // empty when unset
  std::string example_json;  // empty when unset
  std::string feature_flag;
  bool deprecated = false;
  bool archived = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

}  // namespace hookd
