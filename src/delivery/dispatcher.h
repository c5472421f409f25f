#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
  int worker_max_in_flight = 256;         // sockets one delivery thread keeps open at most
  size_t response_excerpt_bytes = 4'096;  // kept in the attempt record
  size_t max_response_bytes = 1 << 20;    // read at most this much of a receiver's body
  AddressPolicy address_policy;
  std::string user_agent = "hookd";
  bool https_only = false;
  std::string egress_interface;  // CURLOPT_INTERFACE: bind outgoing connections
  std::string egress_proxy;      // CURLOPT_PROXY

  // Circuit breaking per endpoint (docs/failures.md); circuit_window 0 turns it off.
  int circuit_window = 20;
  int circuit_min_attempts = 10;
  double circuit_failure_ratio = 0.5;
  int64_t circuit_cooldown_ms = 30'000;
  int64_t circuit_max_cooldown_ms = 600'000;

  // Memory bounds. The store is the queue; memory holds what is due soon.
  size_t backlog_high_water = 4'000;    // the loader pauses while more due jobs wait to start
  size_t endpoint_max_queued = 10'000;  // due jobs one endpoint holds; the rest stay in the store
  int64_t memory_horizon_ms = 30'000;   // retries due later than this wait in the store
  int64_t rescan_interval_ms = 2'000;   // how often the loader looks for due deliveries
};

// One delivery of a message to an endpoint, waiting for its next attempt.
struct DeliveryJob {
  MessagePtr message;
  std::string endpoint_id;
  int attempts_made = 0;
  int64_t due_at = 0;  // unix ms
  TriggerType trigger = TriggerType::kScheduled;
  // For jobs read from the store: 1 + the store's commit sequence when the read began (0 for
  // jobs handed over live). Lets a delivery thread tell a stale read from a pending delivery.
  uint64_t snapshot_seq = 0;
  // A replay (recover, bulk retry) of a failed delivery: at most one copy is on its way, so a
  // second replay call made before the first one's outcome is recorded sends nothing twice.
  bool replay = false;
  // The other deliveries of a failed batch, retried with this one in one request
  // (docs/endpoint-options.md, "Batching"); null otherwise.
  std::shared_ptr<std::vector<DeliveryJob>> batch_rest;
};

class DeliveryWorker;
class ServiceHealth;

// What a delivery thread tells the health monitor about an attempt. Sent for failures, for
// successes of deliveries that had failed before, and for the first success of an endpoint that
// was failing; the healthy path sends nothing.
struct AttemptOutcome {
  std::string app_id;
  std::string endpoint_id;
  MessagePtr message;
  std::string attempt_id;
  int64_t at_ms = 0;
  bool success = false;
  bool will_retry = false;  // failed, and another attempt is scheduled
  bool exhausted = false;   // failed, and the schedule is used up
  bool gone = false;        // the receiver answered 410
  int status_code = 0;
  std::string error_class;
  int attempts_made = 0;  // including this one
  TriggerType trigger = TriggerType::kScheduled;
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// Receives what delivery threads observe; implemented by the health monitor. Called on delivery
// threads: implementations must not block.
class DeliveryObserver {
 public:
  virtual ~DeliveryObserver() = default;
  virtual void attempt_finished(AttemptOutcome&& outcome) = 0;
  virtual void circuit_changed(const std::string& endpoint_id, CircuitState state,
                               int64_t open_until_ms) = 0;
};

// Sends deliveries to receivers. Each endpoint belongs to one delivery thread (by hash), which
// keeps a queue per endpoint with an in-flight cap, so a slow or dead endpoint only ever holds
// its own slots and never delays another endpoint's deliveries. The HTTP exchange itself may
// run on another delivery thread when that one is less busy (DeliveryWorker::lend); the owner
// keeps every decision and records the outcome.
//
// The store is the queue; memory is a window onto it. New deliveries are handed over directly
// after their commit. A loader thread pages through the store's due pending deliveries (at start:
// everything a crash or stop left pending; later: retries scheduled beyond the memory horizon,
// deliveries shed by a full endpoint queue once it has room, deliveries of re-enabled endpoints)
// and feeds them in while the backlog is under its high-water mark. A delivery stays pending in the
// store until the write recording its outcome commits, and stays marked as held in memory until
// then, so a crash leads to a retry, never to a loss, and the loader never sends a copy of a
// delivery that is in flight (at-least-once, without needless duplicates).
//
// Thread-safe: enqueue and wake_loader may be called from any thread.
class Dispatcher final {
 public:
  Dispatcher(DispatcherOptions options, const Catalog& catalog, Store& store, Metrics& metrics,
             DeliveryObserver* observer = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the delivery threads and the loader, whose first pass recovers pending deliveries.
  void start();
  // Stops every thread; deliveries in flight stay pending in the store.
  void stop();

  void enqueue(std::vector<DeliveryJob> jobs);
  // The first attempts of a just-committed message, one per endpoint.
  void enqueue_new(const MessagePtr& message, const std::vector<std::string>& endpoint_ids);
  // Asks the loader for a pass now (an endpoint was enabled, or one whose full queue shed jobs
  // has room again).
  void wake_loader();
  // Due jobs waiting to start, over all delivery threads.
  size_t backlog() const;
  const DispatcherOptions& options() const { return options_; }
  // Where the loader reports a failed pass (and clears it with the next good one). Call before
  // start().
  void set_service_health(ServiceHealth* health) { service_health_ = health; }

 private:
  void loader_loop();
  // One pass over the deliveries due now; returns how many were handed to the workers.
  size_t load_due();
  // load_due, its failure logged and reported to service_health_.
  size_t load_once();

  // Constant after construction.
  const DispatcherOptions options_;  // referenced by the workers
  const Catalog& catalog_;
  Store& store_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
  ServiceHealth* service_health_ = nullptr;  // may be null; set before start

  std::mutex loader_mu_;
  std::condition_variable loader_cv_;
  // Guarded by loader_mu_.
  bool loader_wanted_ = false;
  bool stopping_ = false;

  std::thread loader_;
};

}  // namespace hookd
