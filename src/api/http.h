#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "common/url.h"

// The HTTP shapes handlers see: plain structs, no Beast, so handlers stay quick to compile and
// easy to test.
namespace hookd::api {

// Who sent an API request, once its bearer token is checked (api/auth.h).
struct Caller {
  std::string token_id;  // "admin" for the configured admin token
  std::string app_id;    // the one application it may use; empty: every application
  bool read_only = false;

  bool application_scoped() const { return !app_id.empty(); }
  const char* kind() const { return app_id.empty() ? "admin" : "application"; }
};

struct HttpRequest {
  std::string method;                        // "GET", "POST", ...
  std::string path;                          // without the query string
  std::map<std::string, std::string> query;  // percent-decoded
  std::string authorization;
  std::string session_id;       // the dashboard's session cookie (dashboard/sessions.h)
  std::string csrf_token;       // X-CSRF-Token, sent with a session's state-changing calls
  std::string idempotency_key;  // of a POST; api/idempotency.h
  Caller caller;                // set by the API once the token is checked
  std::string body;             // has spare capacity for simdjson's padding
  // Every header with its name in lower case; filled for inbound webhooks (/webhook/...), which
  // verify signatures, and the dashboard's sign-in (/ui/session) only: the API routes need none.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header with this lower-case name, or null.
  const std::string* header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return &value;
    }
    return nullptr;
  }
};

// The body of an answer that goes on after its head (Server-Sent Events): the HTTP server writes
// the head, then what take() gives each time the stream wakes it, until the client goes or the
// stream ends. Implementations are thread-safe.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // The bytes to write next (whole "event: ...\ndata: ...\n\n" frames; empty when there are
  // none yet).
  virtual std::string take() = 0;
  // `wake` is called, from any thread, when take() has bytes again; an empty function stops
  // the calls (the server sets one when the client has gone).
  virtual void on_ready(std::function<void()> wake) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // More header fields, in order; neither names nor values may hold CR or LF.
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: `body` is written first, then the stream's bytes as they come; the head has no
  // Content-Length, and the connection closes when the stream does.
  std::shared_ptr<EventStream> stream;
};

// Sends the response; callable once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// An error of the caller's making, rendered as {"code": ..., "detail": ...}.
class ApiError final : public std::runtime_error {
 public:
  ApiError(int status, std::string code, const std::string& detail)
      : std::runtime_error(detail), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string code_;
};

inline ApiError validation_error(const std::string& detail) {
  return ApiError(422, "validation", detail);
}
inline ApiError validation_error(const Problem& problem) {
  return validation_error(problem.message());
}
inline ApiError not_found(const std::string& what) {
  return ApiError(404, "not_found", what + " not found");
}

// The status line and headers of `response` on an HTTP/1.x connection (`version` 10 or 11), up
// to and including the blank line: Server, Content-Type when set, Content-Length (none for 1xx,
// 204 and 304, which carry no body), and Connection where keep_alive differs from the version's
// default.
std::string response_head(const HttpResponse& response, unsigned version, bool keep_alive,
                          std::string_view server);
// Whether a response with this status carries a body (not 1xx, 204 or 304).
inline bool status_has_body(int status) { return status >= 200 && status != 204 && status != 304; }

HttpResponse error_response(int status, const std::string& code, const std::string& detail);
HttpResponse json_response(int status, std::string body);
HttpResponse empty_response(int status);

// Splits "/api/v1/app/x" into {"api", "v1", "app", "x"} (percent-decoded segments).
std::vector<std::string> split_path(const std::string& path);
using hookd::parse_query;
using hookd::percent_decode;

}  // namespace hookd::api
