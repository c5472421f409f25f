#include "api/http.h"

#include <nlohmann/json.hpp>

namespace hookd::api {

namespace {

std::string_view reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";  // the reason phrase may be empty (RFC 9112, section 4)
  }
}

}  // namespace

std::string response_head(const HttpResponse& response, unsigned version, bool keep_alive,
                          std::string_view server) {
  std::string head;
  head.reserve(160);
  head += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  head += std::to_string(response.status);
  head += ' ';
  head += reason(response.status);
  head += "\r\nServer: ";
  head += server;
  head += "\r\n";
  if (!response.content_type.empty()) {
    head += "Content-Type: ";
    head += response.content_type;
    head += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  if (response.stream) {
    keep_alive = false;  // the stream's end is the connection's
  } else if (status_has_body(response.status)) {
    head += "Content-Length: ";
    head += std::to_string(response.body.size());
    head += "\r\n";
  }
  if (version >= 11 && !keep_alive) head += "Connection: close\r\n";
  if (version < 11 && keep_alive) head += "Connection: keep-alive\r\n";
  head += "\r\n";
  return head;
}

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
