#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

#include "delivery/dispatcher.h"

namespace hookd {

// One HTTP request in flight to a receiver: everything libcurl points into lives here, and the
// job's message (shared_ptr) keeps the body alive until the transfer ends.
struct Transfer {
  DeliveryJob job;
  EndpointPtr endpoint;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string response;  // first bytes of the body, up to the excerpt cap
  size_t response_bytes = 0;
  std::optional<int64_t> retry_after_ms;
  bool address_refused = false;
  bool body_too_large = false;
  int64_t started_steady_ms = 0;
  const DispatcherOptions* options = nullptr;

  ~Transfer() { curl_slist_free_all(headers); }
};

// Configures `transfer->easy` for a signed POST of the message to the endpoint.
void prepare_request(Transfer& transfer, int64_t now_unix_ms);

struct TransferOutcome {
  bool success = false;
  int status_code = 0;
  std::string error_class;  // "none" on success
};

// Classifies a finished transfer. Success is a 2xx; redirects are not followed and count as
// failures, like every other status and every network error.
TransferOutcome classify(const Transfer& transfer, CURLcode code);

}  // namespace hookd
