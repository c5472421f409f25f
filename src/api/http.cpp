#include "api/http.h"

#include <nlohmann/json.hpp>

namespace hookd::api {

HttpResponse error_response(int status, const std::string& code, const std::string& detail) {
  nlohmann::json body{{"code", code}, {"detail", detail}};
  return {status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

HttpResponse json_response(int status, std::string body) { return {status, std::move(body)}; }

HttpResponse empty_response(int status) { return {status, "", ""}; }

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start)
      segments.push_back(percent_decode(std::string_view(path).substr(start, end - start)));
    start = end + 1;
  }
  return segments;
}

}  // namespace hookd::api
