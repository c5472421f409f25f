#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "delivery/retry.h"
#include "delivery/ssrf.h"
#include "metrics/metrics.h"
#include "store/models.h"
#include "store/store.h"

namespace hookd {

struct DispatcherOptions {
  int threads = 1;  // each drives one libcurl multi handle
  RetrySchedule retry = RetrySchedule::standard();
  int64_t request_timeout_ms = 15'000;
  int64_t connect_timeout_ms = 5'000;
  int endpoint_max_in_flight = 32;
  int worker_max_in_flight = 2'048;       // sockets one delivery thread keeps open at most
  size_t response_excerpt_bytes = 4'096;  // kept in the attempt record
  size_t max_response_bytes = 1 << 20;    // read at most this much of a receiver's body
  AddressPolicy address_policy;
  std::string user_agent = "hookd";
};

// One delivery of a message to an endpoint, waiting for its next attempt.
struct DeliveryJob {
  MessagePtr message;
  std::string endpoint_id;
  int attempts_made = 0;
  int64_t due_at = 0;  // unix ms
  TriggerType trigger = TriggerType::kScheduled;
};

class DeliveryWorker;

// Sends deliveries to receivers. Each endpoint belongs to one delivery thread (by hash), which
// keeps a queue per endpoint with an in-flight cap, so a slow or dead endpoint only ever holds
// its own slots and never delays another endpoint's deliveries. Attempt outcomes are written to
// the store asynchronously; a delivery stays pending in the store until its outcome is written,
// so a crash at any point leads to a retry, never to a loss (at-least-once).
//
// Thread-safe: enqueue may be called from any thread.
class Dispatcher final {
 public:
  Dispatcher(DispatcherOptions options, const Catalog& catalog, Store& store, Metrics& metrics);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Stops the delivery threads; deliveries in flight stay pending in the store.
  void stop();

  void enqueue(std::vector<DeliveryJob> jobs);

  // Loads pending deliveries from the store (of one endpoint, or all when empty) and schedules
  // them. Blocks on store reads: call it from a worker thread, never from an I/O thread.
  void recover_pending(const std::string& endpoint_id);

 private:
  // Constant after construction.
  const DispatcherOptions options_;  // referenced by the workers
  Store& store_;
  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
};

}  // namespace hookd
