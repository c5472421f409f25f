#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"

// Query string parameters read with errors that name the parameter (ApiError 422). Pure
// functions; any thread.
namespace hookd::api {

// The parameter's value; empty when absent.
std::string query_value(const HttpRequest& req, const char* name);
// An RFC 3339 time as unix ms; nothing when absent or empty.
std::optional<int64_t> read_query_time(const HttpRequest& req, const char* name);
// A comma-separated list (`event_types=a,b`), at most `max_items` entries; empty when absent.
std::vector<std::string> read_query_list(const HttpRequest& req, const char* name,
                                         size_t max_items);
// `status_code_class`: 0 (no response), 100, 200, 300, 400 or 500.
std::optional<int> read_query_status_code_class(const HttpRequest& req);
// Refuses `name` with a 422 when given: a list option hookd does not filter by, with `why`.
void refuse_query(const HttpRequest& req, const char* name, const char* why);
// The options every message and attempt list takes, into `filter`: `event_types` (at most
// 100), `channel`, `before` and `after`; `tag` is refused (messages carry no tags).
template <typename Filter>
void read_message_options(const HttpRequest& req, Filter& filter) {
  refuse_query(req, "tag", "messages carry no tags here (POST .../msg refuses tags)");
  filter.event_types = read_query_list(req, "event_types", 100);
  filter.channel = query_value(req, "channel");
  filter.before = read_query_time(req, "before");
  filter.after = read_query_time(req, "after");
}
// `order`: true for descending, false for ascending (the default).
bool read_query_descending(const HttpRequest& req);
// `status`: a delivery status, 0 (success), 1 (pending), 2 (fail) or 3 (sending).
std::optional<int> read_query_status(const HttpRequest& req);

}  // namespace hookd::api
