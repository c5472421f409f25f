#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "delivery/delivery_job.h"

// The per-endpoint queues of one delivery thread: the due jobs of each endpoint, which
// endpoints may start a request now (runnable), and which wait for a time of their own
// (deferred: throttled, circuit open, or filling a batch). Also the order of the thread's retry
// timers. The delivery thread decides when a queue is runnable; these types keep the lists
// consistent with each queue's flags.
//
// Not thread-safe: owned by one delivery thread.
namespace hookd {

struct EndpointQueue {
  std::deque<DeliveryJob> ready;
  int in_flight = 0;
  int cap = 0;                   // the endpoint's in-flight limit when last started
  int64_t rate = 0;              // the endpoint's rate limit (per second) when last started
  bool listed = false;           // in the runnable list
  bool deferred = false;         // in the deferred list (throttled or circuit open)
  int64_t last_progress_ms = 0;  // steady ms of the last completion or free slot
  int batch_max = 0;             // the endpoint's batch size when last started; 0: no batching
  bool batch_wait = false;       // deferred until its batch fills or its oldest job's wait ends
  bool shed = false;             // jobs were shed since the loader was last asked for more

  // A queue waiting for its batch to fill starts as soon as it holds a full one.
  bool batch_full() const {
    return batch_wait && batch_max > 0 && ready.size() >= static_cast<size_t>(batch_max);
  }
  // The in-flight limit: the endpoint's as last seen, or `default_cap` before its first start.
  int cap_or(int default_cap) const { return cap > 0 ? cap : default_cap; }
};

// Orders the retry timers' heap: the job due first on top.
struct LaterFirst {
  bool operator()(const DeliveryJob& a, const DeliveryJob& b) const { return a.due_at > b.due_at; }
};
using RetryTimers = std::priority_queue<DeliveryJob, std::vector<DeliveryJob>, LaterFirst>;

class EndpointQueues final {
 public:
  using Map = std::unordered_map<std::string, EndpointQueue>;

  // The endpoint's queue, made empty when it has none (last_progress_ms 0).
  EndpointQueue& get(const std::string& endpoint_id) { return queues_[endpoint_id]; }
  Map::iterator find(const std::string& endpoint_id) { return queues_.find(endpoint_id); }
  Map::iterator end() { return queues_.end(); }
  Map& all() { return queues_; }
  // Erases a queue that holds nothing and runs nothing; one that shed jobs is remembered
  // (take_shed_dropped), since the loader may now bring them back.
  void drop(Map::iterator it) {
    if (it->second.shed) shed_dropped_ = true;
    queues_.erase(it);
  }
  // Whether a queue that shed jobs was dropped since last asked; clears it.
  bool take_shed_dropped() { return std::exchange(shed_dropped_, false); }
  bool shed_dropped() const { return shed_dropped_; }

  // Lists the queue as runnable. The caller checked it has ready jobs and a free slot.
  void list(EndpointQueue& queue, const std::string& endpoint_id) {
    queue.listed = true;
    runnable_.push_back(endpoint_id);
  }
  // Lists the queue unless it is listed already, or deferred and not holding a full batch it
  // waited for. A deferred queue listed here leaves its wait: its entry in the deferred list
  // lists it at most once more.
  void wake(EndpointQueue& queue, const std::string& endpoint_id) {
    if (queue.listed || (queue.deferred && !queue.batch_full())) return;
    queue.deferred = queue.batch_wait = false;
    list(queue, endpoint_id);
  }
  bool has_runnable() const { return !runnable_.empty(); }
  // The endpoint listed first, taken off the list (its queue may be gone since).
  std::string pop_runnable() {
    std::string endpoint_id = std::move(runnable_.front());
    runnable_.pop_front();
    return endpoint_id;
  }

  // Defers the queue until `until_ms` (steady), unless it is deferred already.
  void defer(EndpointQueue& queue, const std::string& endpoint_id, int64_t until_ms) {
    if (queue.deferred) return;
    queue.deferred = true;
    deferred_.emplace(until_ms, endpoint_id);
  }
  // Ends the waits due by `now_ms` (steady): those queues with ready jobs are listed again.
  void undefer(int64_t now_ms);
  bool has_deferred() const { return !deferred_.empty(); }
  int64_t next_deferred_ms() const { return deferred_.top().first; }  // has_deferred()

 private:
  using Deferred = std::pair<int64_t, std::string>;  // steady ms, endpoint id

  Map queues_;
  std::deque<std::string> runnable_;  // endpoints with ready jobs and free slots
  std::priority_queue<Deferred, std::vector<Deferred>, std::greater<>> deferred_;
  bool shed_dropped_ = false;
};

}  // namespace hookd
