#pragma once

#include <cstdint>
#include <deque>

#include "delivery/delivery_options.h"
#include "delivery/observer.h"

// What may start to one endpoint and when: its circuit breaker (docs/failures.md) and its token
// bucket (throttleRate, docs/endpoint-options.md). Time is a steady clock in ms passed in by the
// caller, so both are testable without real time. The caller tells the observer about circuit
// changes: these classes only report them.
//
// Not thread-safe: owned by one delivery thread.
namespace hookd {

// A token bucket holding one second's worth of requests (at least one), full when first used.
class TokenBucket final {
 public:
  // Takes a token for one request at `rate` per second (rate > 0) at `now_ms`. When none is
  // left, returns false and sets `retry_at_ms` to when the next one will be there.
  bool take(int64_t rate, int64_t now_ms, int64_t& retry_at_ms);
  // Whether the bucket was ever used: a throttled endpoint keeps its gate.
  bool started() const { return started_; }

 private:
  bool started_ = false;
  double tokens_ = 0;
  int64_t refilled_ms_ = 0;
};

// A circuit change a caller reports to the observer.
enum class GateChange {
  kNone,
  kHalfOpened,  // the cooldown ended: one probe may go
  kOpened,      // open for cooldown_ms() from now
  kClosed,      // the probe succeeded
  kIdle,        // closed, healthy and not throttled: the gate need not be kept
};

// The circuit breaker and token bucket of one endpoint. Kept only for endpoints that failed or
// are throttled: the healthy path never makes one.
class EndpointGate final {
 public:
  // Whether one more request may start now. `rate` is the endpoint's throttleRate (0: none).
  // When not, `defer_until_ms` is when to look again, or 0 to wait for the probe in flight to
  // finish. `change` is kHalfOpened when the circuit's cooldown just ended, else kNone.
  bool take_slot(int64_t rate, int64_t now_ms, int64_t& defer_until_ms, GateChange& change);
  // Counts a finished request's result (circuit_window > 0 in `options`).
  GateChange observe(bool failed, const DispatcherOptions& options, int64_t now_ms);

  CircuitState state() const { return state_; }
  int64_t cooldown_ms() const { return cooldown_ms_; }

 private:
  void open(int64_t now_ms);

  std::deque<bool> window_;  // recent attempts, true = failed
  int failures_ = 0;         // in window_
  CircuitState state_ = CircuitState::kClosed;
  int64_t open_until_ms_ = 0;
  int64_t cooldown_ms_ = 0;
  bool probe_in_flight_ = false;
  TokenBucket bucket_;
};

}  // namespace hookd
