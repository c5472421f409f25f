#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "delivery/delivery_job.h"
#include "delivery/delivery_options.h"
#include "delivery/live_feed.h"
#include "delivery/observer.h"
#include "metrics/metrics.h"
#include "model/message.h"
#include "store/store.h"

namespace hookd {

class DeliveryWorker;
class ServiceHealth;

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
  // The first attempts of a just-committed message, one per endpoint; `claimed`: the
  // InsertMessage's WriteResult::claimed (the endpoints this node sends to).
  void enqueue_new(const MessagePtr& message, const std::vector<std::string>& endpoint_ids,
                   const std::vector<bool>& claimed = {});
  // Asks the loader for a pass now (an endpoint was enabled, or one whose full queue shed jobs
  // has room again).
  void wake_loader();
  // Due jobs waiting to start, over all delivery threads.
  size_t backlog() const;
  const DispatcherOptions& options() const { return options_; }
  // Every attempt this node makes, for live tails (delivery/live_feed.h).
  LiveFeed& live_feed() { return live_feed_; }
  // Where the loader reports a failed pass (and clears it with the next good one). Call before
  // start().
  void set_service_health(ServiceHealth* health) { service_health_ = health; }

 private:
  void loader_loop();
  // One pass over the deliveries due now; returns how many were handed to the workers.
  size_t load_due();
  // load_due's pass by reading (a store of one node) or by claiming (cluster mode); `snapshot`:
  // 1 + the commit sequence when the last page's read began.
  size_t read_due(uint64_t& snapshot);
  size_t claim_due(uint64_t& snapshot);
  // The jobs of a page read or claimed from the store, but those of disabled or unknown
  // endpoints (whose claims it releases).
  std::vector<DeliveryJob> jobs_of(std::vector<PendingDelivery>& page, uint64_t snapshot,
                                   uint64_t claim, int64_t lease_until);
  // Waits while the workers hold more than the backlog's high-water mark; false when stopping.
  bool pace();
  // Endpoints whose deliveries the next page need not bring: the stalled ones.
  std::vector<std::string> endpoints_to_skip() const;
  // load_due, its failure logged and reported to service_health_.
  size_t load_once();

  // Constant after construction.
  const DispatcherOptions options_;  // referenced by the workers
  const Catalog& catalog_;
  Store& store_;
  Metrics& metrics_;
  LiveFeed live_feed_;  // before the workers, which publish to it
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
