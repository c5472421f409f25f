#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "delivery/retry.h"
#include "delivery/ssrf.h"

// How deliveries are made: the settings of the dispatcher, its delivery threads and every
// request they send (the endpoint test's too). A plain value: copied freely, read from any
// thread once no thread writes it.
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

}  // namespace hookd
