#include "api/query_params.h"

#include <charconv>

#include "common/time.h"

namespace hookd::api {

std::string query_value(const HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

std::optional<int64_t> read_query_time(const HttpRequest& req, const char* name) {
  const std::string value = query_value(req, name);
  if (value.empty()) return std::nullopt;
  auto t = parse_rfc3339(value);
  if (!t) throw validation_error(std::string(name) + ": must be an RFC 3339 timestamp");
  return t;
}

std::optional<int> read_query_status(const HttpRequest& req) {
  const std::string v = query_value(req, "status");
  if (v.empty()) return std::nullopt;
  int status = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), status);
  if (ec != std::errc() || end != v.data() + v.size() || status < 0 || status > 3) {
    throw validation_error("status: must be 0 (success), 1 (pending), 2 (fail) or 3 (sending)");
  }
  return status;
}

}  // namespace hookd::api
