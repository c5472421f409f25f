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

std::vector<std::string> read_query_list(const HttpRequest& req, const char* name,
                                         size_t max_items) {
  std::vector<std::string> out;
  const std::string value = query_value(req, name);
  std::string_view rest = value;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (comma != 0) out.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (out.size() > max_items) {
    throw validation_error(std::string(name) + ": at most " + std::to_string(max_items) +
                           " entries");
  }
  return out;
}

std::optional<int> read_query_status_code_class(const HttpRequest& req) {
  const std::string v = query_value(req, "status_code_class");
  if (v.empty()) return std::nullopt;
  for (const int c : {0, 100, 200, 300, 400, 500}) {
    if (v == std::to_string(c)) return c;
  }
  throw validation_error("status_code_class: must be 0 (no response), 100, 200, 300, 400 or 500");
}

bool read_query_descending(const HttpRequest& req) {
  const std::string v = query_value(req, "order");
  if (v.empty() || v == "ascending") return false;
  if (v == "descending") return true;
  throw validation_error("order: must be ascending or descending");
}

void refuse_query(const HttpRequest& req, const char* name, const char* why) {
  if (!query_value(req, name).empty()) throw validation_error(std::string(name) + ": " + why);
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
