#include "metrics/metrics.h"

#include <fmt/format.h>

namespace hookd {

void Histogram::observe(double seconds) {
  size_t i = 0;
  while (i < bounds_.size() && seconds > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const char* name, const char* help) const {
  fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} histogram\n", name, help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load();
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i],
                   cumulative);
  }
  cumulative += buckets_.back().load();
  fmt::format_to(std::back_inserter(out),
                 "{0}_bucket{{le=\"+Inf\"}} {1}\n{0}_sum {2}\n{0}_count {3}\n", name, cumulative,
                 static_cast<double>(sum_us_.load()) / 1e6, count_.load());
}

std::string Metrics::render_prometheus(const StoreGauges& store) const {
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name,
                   help, value);
  };
  auto gauge = [&](const char* name, const char* help, int64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name,
                   help, value);
  };
  counter("hookd_messages_accepted_total", "Messages committed and acknowledged with 202.",
          messages_accepted.load());
  counter("hookd_messages_rejected_total", "Message requests refused (4xx or 503).",
          messages_rejected.load());
  counter("hookd_deliveries_succeeded_total", "Deliveries a receiver acknowledged with success.",
          deliveries_succeeded.load());
  counter("hookd_deliveries_failed_total", "Deliveries that exhausted their retry schedule.",
          deliveries_failed.load());
  counter("hookd_deliveries_unclaimed_total",
          "Deliveries not sent by this node because their claim's lease ended or another node "
          "took the claim over.",
          deliveries_unclaimed.load());
  counter("hookd_attempts_succeeded_total", "Delivery attempts that succeeded.",
          attempts_succeeded.load());
  counter("hookd_attempts_failed_total", "Delivery attempts that failed.", attempts_failed.load());
  gauge("hookd_delivery_queue_depth", "Deliveries waiting in the dispatcher (due or scheduled).",
        delivery_queue_depth.load());
  gauge("hookd_deliveries_in_flight", "Delivery requests currently in flight.",
        deliveries_in_flight.load());
  counter("hookd_delivery_requests_lent_total",
          "Delivery requests run by a delivery thread other than their endpoint's (a busy "
          "endpoint's work shared out).",
          delivery_requests_lent.load());
  counter("hookd_loader_passes_total",
          "Passes of the loader over the store's pending deliveries (periodic, or asked for when "
          "an endpoint has room again after its queue was full, or when one is enabled).",
          loader_passes.load());
  counter("hookd_inbound_rejections_total",
          "Inbound requests refused by a source's client id or verification.",
          inbound_rejections.load());
  gauge("hookd_connections_open", "Open API connections.", connections_open.load());
  counter("hookd_connections_refused_total",
          "API connections closed as soon as accepted because max_connections were open.",
          connections_refused.load());
  gauge("hookd_store_write_queue_depth", "Writes waiting for the next group commit.",
        static_cast<int64_t>(store.queue_depth));
  counter("hookd_store_commits_total",
          "Group commits (transactions) of the store; writes per commit = writes / commits.",
          store.commits);
  gauge("hookd_cluster_nodes", "Delivering nodes alive in the cluster (1 outside cluster mode).",
        store.cluster_nodes);
  gauge("hookd_cluster_leader", "1 while this node holds the cluster's leader lease.",
        store.leader ? 1 : 0);
  counter("hookd_deliveries_claimed_total",
          "Cluster mode: due deliveries this node claimed from the database (retries, and "
          "deliveries other nodes accepted).",
          deliveries_claimed.load());
  counter("hookd_journey_activities_applied_total",
          "Activities the journey engine applied to the application's journeys.",
          journey_activities_applied.load());
  counter("hookd_journey_runs_started_total", "Journey runs started by a trigger.",
          journey_runs_started.load());
  counter("hookd_journey_timers_fired_total",
          "Waiting journey runs moved by their deadline (waitFor, allOf timed out; delay over).",
          journey_timers_fired.load());
  counter("hookd_journey_webhooks_total", "Messages sent by journeys' webhook nodes.",
          journey_webhooks_sent.load());
  gauge("hookd_journey_activities_pending",
        "Activities stored and not yet applied, as the journey engine last read them.",
        journey_activities_pending.load());
  journey_timer_lateness.render(out, "hookd_journey_timer_lateness_seconds",
                                "From a waiting run's deadline to the commit that moved it.");
  delivery_latency.render(out, "hookd_delivery_latency_seconds",
                          "Time from acceptance to a successful delivery.");
  claim_duration.render(out, "hookd_claim_duration_seconds",
                        "Cluster mode: how long one claim of due deliveries took.");
  return out;
}

}  // namespace hookd
