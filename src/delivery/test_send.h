#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "delivery/delivery_options.h"
#include "model/message.h"

// The endpoint test (docs/endpoint-options.md, "Testing an endpoint"): one request sent at once
// on the calling thread, outside the dispatcher. Any thread may call send_now; it blocks.
namespace hookd {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct TestResult {
  int status_code = 0;  // 0: no answer
  bool success = false;
  std::string response;  // the first bytes of the body, or the error
  std::string error_class;
  int64_t duration_ms = 0;
  HeaderList response_headers;  // the receiver's (of its final answer), at most 64 and 16 KiB
  HeaderList request_headers;   // as sent, but a basic auth password is masked
  std::string request_body;     // as sent
};

// Sends `message` to `endpoint` now, on the calling thread: the same request a delivery makes.
// Blocks up to the timeouts. `envelope_key`: for a batching endpoint, the key of the one-event
// envelope sent.
TestResult send_now(const DispatcherOptions& options, const EndpointPtr& endpoint,
                    const MessagePtr& message, const std::string& envelope_key = {});

}  // namespace hookd
