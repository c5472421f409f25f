#pragma once

#include <cstdint>
#include <optional>
#include <string>

// The audit log's entries (docs/auth.md): one per change of configuration made through the API.
// Plain struct: copy it freely; no thread rules of its own.
namespace hookd {

struct AuditEntry {
  std::string id;          // "aud_...", sorting by time
  int64_t at = 0;          // unix ms
  std::string token_id;    // "admin" for the configured admin token
  std::string token_kind;  // "admin" (every application) or "application"
  std::string app_id;      // the application changed; empty for global objects
  std::string method;      // POST, PUT, PATCH, DELETE
  std::string route;       // the route's pattern, "/api/v1/app/{app}/endpoint/{id}"
  std::string path;        // the request's path
  std::string object_id;   // the object changed (the created one's id for a POST that makes one)
  std::string changes_json = "{}";  // the request body's fields, secret values masked
  int status = 0;                   // the answer's HTTP status
};

struct AuditFilter {
  std::string app_id;            // empty: every application (admin callers only)
  std::string object_id;         // empty: any
  std::optional<int64_t> since;  // at >= since (unix ms)
  std::optional<int64_t> until;  // at < until
};

}  // namespace hookd
