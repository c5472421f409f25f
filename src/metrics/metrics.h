#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace hookd {

// A Prometheus histogram of seconds over 12 fixed bucket bounds. Lock-free; any thread.
class Histogram final {
 public:
  using Bounds = std::array<double, 12>;
  explicit Histogram(const Bounds& bounds) : bounds_(bounds) {}
  void observe(double seconds);
  // Appends the `_bucket`, `_sum` and `_count` lines of `name`, after its HELP and TYPE.
  void render(std::string& out, const char* name, const char* help) const;

 private:
  const Bounds& bounds_;
  std::array<std::atomic<uint64_t>, 13> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

// Process-wide counters, exported as Prometheus text. Lock-free; safe from any thread.
class Metrics final {
 public:
  static constexpr Histogram::Bounds kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5,   1,    2.5,   5,    10,  30};
  static constexpr Histogram::Bounds kClaimBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};

  std::atomic<uint64_t> messages_accepted{0};
  std::atomic<uint64_t> messages_rejected{0};
  std::atomic<uint64_t> deliveries_succeeded{0};
  std::atomic<uint64_t> deliveries_failed{0};  // retries exhausted
  // Cluster mode: jobs not sent because their claim ended or was taken over (DeliveryWorker).
  std::atomic<uint64_t> deliveries_unclaimed{0};
  std::atomic<uint64_t> attempts_succeeded{0};
  std::atomic<uint64_t> attempts_failed{0};
  std::atomic<int64_t> delivery_queue_depth{0};  // deliveries held by the dispatcher
  std::atomic<int64_t> deliveries_in_flight{0};
  // Requests run by a delivery thread other than their endpoint's (DeliveryWorker::lend).
  std::atomic<uint64_t> delivery_requests_lent{0};
  std::atomic<uint64_t> loader_passes{0};
  std::atomic<uint64_t> inbound_rejections{0};   // inbound requests refused (401), every source
  std::atomic<int64_t> connections_open{0};      // API connections (HttpServer)
  std::atomic<uint64_t> connections_refused{0};  // closed at once: max_connections reached

  // Time from a message's acceptance to a receiver's 2xx.
  Histogram delivery_latency{kLatencyBuckets};
  // Cluster mode: how long one claim of due deliveries took (Dispatcher, the store's statement).
  Histogram claim_duration{kClaimBuckets};
  std::atomic<uint64_t> deliveries_claimed{0};  // cluster mode: rows those claims took

  // The journey engine (journey_engine/engine.h).
  std::atomic<uint64_t> journey_activities_applied{0};
  std::atomic<uint64_t> journey_runs_started{0};
  std::atomic<uint64_t> journey_timers_fired{0};
  std::atomic<uint64_t> journey_webhooks_sent{0};      // messages the runs' webhook nodes inserted
  std::atomic<int64_t> journey_activities_pending{0};  // read by the engine's last pass
  // How late due runs fired: from their deadline to the commit of the step.
  Histogram journey_timer_lateness{kLatencyBuckets};

  // `store_queue_depth` and `store_commits` are read from the store when rendering.
  // What the store reports, read when the metrics are.
  struct StoreGauges {
    size_t queue_depth = 0;
    uint64_t commits = 0;
    int cluster_nodes = 1;  // delivering nodes alive (1 outside cluster mode)
    bool leader = true;     // this node runs the cluster's singletons
  };
  std::string render_prometheus(const StoreGauges& store) const;
};

}  // namespace hookd
