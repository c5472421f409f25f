#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/http.h"

// Query string parameters read with errors that name the parameter (ApiError 422). Pure
// functions; any thread.
namespace hookd::api {

// The parameter's value; empty when absent.
std::string query_value(const HttpRequest& req, const char* name);
// An RFC 3339 time as unix ms; nothing when absent or empty.
std::optional<int64_t> read_query_time(const HttpRequest& req, const char* name);
// `status`: a delivery status, 0 (success), 1 (pending), 2 (fail) or 3 (sending).
std::optional<int> read_query_status(const HttpRequest& req);

}  // namespace hookd::api
