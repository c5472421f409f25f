#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "delivery/delivery_job.h"
#include "delivery/delivery_options.h"

namespace hookd {

class DeliveryWorker;

// One HTTP request to a receiver, and the libcurl handle that carries it. Transfers are pooled
// by their delivery thread: the options that never change (callbacks, timeouts, protocols) are
// set once when the handle is made, and only the URL, body and headers per request. The job's
// message (shared_ptr) keeps the body alive until the transfer ends.
struct Transfer {
  explicit Transfer(const DispatcherOptions& options);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Clears what one request left behind, before the transfer goes back to the pool.
  void recycle();

  const DispatcherOptions* options;
  CURL* easy = nullptr;
  DeliveryJob job;
  // A batching endpoint's request carries `job` and these, in one envelope body
  // (docs/endpoint-options.md, "Batching"); empty otherwise.
  std::vector<DeliveryJob> more;
  std::string envelope_key;  // batching endpoints: the envelope's key
  // The request's jobs: `job`, then `more`.
  size_t job_count() const { return 1 + more.size(); }
  DeliveryJob& job_at(size_t i) { return i == 0 ? job : more[i - 1]; }
  const DeliveryJob& job_at(size_t i) const { return i == 0 ? job : more[i - 1]; }
  EndpointPtr endpoint;
  curl_slist* headers = nullptr;
  std::string form_body;  // the request body when it is not the stored payload (form, reshaped)
  std::string response;   // first bytes of the body, up to the excerpt cap
  size_t response_bytes = 0;
  std::optional<int64_t> retry_after_ms;
  bool address_refused = false;
  std::string refused_address;  // the address the SSRF policy refused
  // With an egress proxy (set by prepare_request): the checked address the proxy tunnels to,
  // or, when the target was refused or did not resolve, no connection at all.
  curl_slist* connect_to = nullptr;
  bool refuse_connect = false;
  std::string unresolved;  // why the target's host did not resolve
  bool body_too_large = false;
  int64_t started_steady_ms = 0;
  int64_t ended_steady_ms = 0;  // set by the thread that ran the request
  // The delivery thread whose job this is: it prepared the request and takes the outcome,
  // wherever the request runs (DeliveryWorker::lend).
  DeliveryWorker* owner = nullptr;
};

// Sets the request: a signed POST of the job's message to the endpoint. With an egress proxy it
// also resolves the receiver's host and checks its addresses (TargetResolver; this may block on
// DNS once per host per 30 s), so that the request either tunnels to a checked address or fails
// without a connection (address_refused, or unresolved).
void prepare_request(Transfer& transfer, int64_t now_unix_ms);

// The webhook-id of a batch: "batch_" and 32 hex digits of SHA-256 over its message ids (each with
// its length), so a batch sent again carries the same id and a different set of events a different
// one.
std::string batch_id(const Transfer& transfer);

// Percent-encodes every byte but A-Z a-z 0-9 - _ . ~ (the `data=` value of form bodies).
std::string form_encode(std::string_view bytes);

struct TransferOutcome {
  bool success = false;
  int status_code = 0;
  std::string error_class;  // "none" on success
};

// Classifies a finished transfer. Success is a 2xx; redirects are not followed and count as
// failures, like every other status and every network error.
TransferOutcome classify(const Transfer& transfer, CURLcode code);

// What an attempt records as the response: the receiver's body excerpt (moved out of
// `transfer`), or why there was none: the SSRF refusal, a name that did not resolve, libcurl's
// error.
std::string take_response_text(Transfer& transfer, CURLcode code, const TransferOutcome& outcome);

}  // namespace hookd
