#include "delivery/test_send.h"

#include <curl/curl.h>

#include <strings.h>

#include <string>
#include <string_view>

#include "common/time.h"
#include "delivery/transfer.h"

namespace hookd {

namespace {

constexpr size_t kMaxHeaders = 64;
constexpr size_t kMaxHeaderBytes = 16 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct CapturedHeaders {
  HeaderList headers;
  size_t bytes = 0;
};

// libcurl's header callback: every header of the receiver's last answer (a status line starts
// a new answer, as after a 100 Continue).
size_t capture_header(char* data, size_t size, size_t count, void* user) {
  auto* captured = static_cast<CapturedHeaders*>(user);
  const size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    captured->headers.clear();
    captured->bytes = 0;
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || captured->headers.size() >= kMaxHeaders ||
      captured->bytes + n > kMaxHeaderBytes) {
    return n;
  }
  captured->bytes += n;
  captured->headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
  return n;
}

// The request's headers as hookd sets them (libcurl adds Host and Content-Length), the basic
// auth credentials masked.
HeaderList sent_headers(const curl_slist* list, const std::string& user_agent) {
  HeaderList out{{"User-Agent", user_agent}};
  for (; list != nullptr; list = list->next) {
    const std::string_view line(list->data);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {  // "Name;": the header with an empty value
      if (line.ends_with(';')) out.emplace_back(std::string(line.substr(0, line.size() - 1)), "");
      continue;
    }
    std::string name(trim(line.substr(0, colon)));
    std::string value(trim(line.substr(colon + 1)));
    if (value.empty()) continue;  // "Name:" tells libcurl not to send it (Expect:)
    if (strcasecmp(name.c_str(), "authorization") == 0 && value.starts_with("Basic ")) {
      value = "Basic ********";
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace

TestResult send_now(const DispatcherOptions& options, const EndpointPtr& endpoint,
                    const MessagePtr& message, const std::string& envelope_key) {
  Transfer t(options);
  t.job.message = message;
  t.envelope_key = envelope_key;
  t.job.endpoint_id = endpoint->id;
  t.endpoint = endpoint;
  const int64_t started = now_steady_ms();
  prepare_request(t, now_unix_ms());
  CapturedHeaders captured;
  curl_easy_setopt(t.easy, CURLOPT_HEADERFUNCTION, capture_header);
  curl_easy_setopt(t.easy, CURLOPT_HEADERDATA, &captured);
  const CURLcode code = curl_easy_perform(t.easy);
  TestResult result;
  result.response_headers = std::move(captured.headers);
  result.request_headers = sent_headers(t.headers, options.user_agent);
  result.request_body = t.form_body.empty() ? message->payload : t.form_body;
  result.duration_ms = now_steady_ms() - started;
  const TransferOutcome outcome = classify(t, code);
  result.status_code = outcome.status_code;
  result.success = outcome.success;
  result.error_class = outcome.error_class;
  result.response = take_response_text(t, code, outcome);
  return result;
}

}  // namespace hookd
