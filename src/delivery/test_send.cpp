#include "delivery/test_send.h"

#include <curl/curl.h>

#include <string>

#include "common/time.h"
#include "delivery/transfer.h"

namespace hookd {

TestResult send_now(const DispatcherOptions& options, const EndpointPtr& endpoint,
                    const MessagePtr& message, const std::string& envelope_key) {
  Transfer t(options);
  t.job.message = message;
  t.envelope_key = envelope_key;
  t.job.endpoint_id = endpoint->id;
  t.endpoint = endpoint;
  const int64_t started = now_steady_ms();
  prepare_request(t, now_unix_ms());
  const CURLcode code = curl_easy_perform(t.easy);
  TestResult result;
  result.duration_ms = now_steady_ms() - started;
  const TransferOutcome outcome = classify(t, code);
  result.status_code = outcome.status_code;
  result.success = outcome.success;
  result.error_class = outcome.error_class;
  result.response = take_response_text(t, code, outcome);
  return result;
}

}  // namespace hookd
