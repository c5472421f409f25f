#include "delivery/endpoint_gate.h"

#include <algorithm>

namespace hookd {

bool TokenBucket::take(int64_t rate, int64_t now_ms, int64_t& retry_at_ms) {
  const double burst = std::max<double>(1.0, static_cast<double>(rate));
  if (!started_) {
    started_ = true;
    tokens_ = burst;
  } else {
    tokens_ = std::min(burst, tokens_ + static_cast<double>(now_ms - refilled_ms_) *
                                            static_cast<double>(rate) / 1000.0);
  }
  refilled_ms_ = now_ms;
  if (tokens_ < 1.0) {
    const auto missing_ms =
        static_cast<int64_t>((1.0 - tokens_) * 1000.0 / static_cast<double>(rate));
    retry_at_ms = now_ms + std::max<int64_t>(1, missing_ms + 1);
    return false;
  }
  tokens_ -= 1.0;
  return true;
}

bool EndpointGate::take_slot(int64_t rate, int64_t now_ms, int64_t& defer_until_ms,
                             GateChange& change) {
  change = GateChange::kNone;
  if (state_ == CircuitState::kOpen) {
    if (now_ms < open_until_ms_) {
      defer_until_ms = open_until_ms_;
      return false;
    }
    state_ = CircuitState::kHalfOpen;
    probe_in_flight_ = false;
    change = GateChange::kHalfOpened;
  }
  if (state_ == CircuitState::kHalfOpen && probe_in_flight_) {
    defer_until_ms = 0;
    return false;
  }
  if (rate > 0 && !bucket_.take(rate, now_ms, defer_until_ms)) return false;
  if (state_ == CircuitState::kHalfOpen) probe_in_flight_ = true;
  return true;
}

GateChange EndpointGate::observe(bool failed, const DispatcherOptions& options, int64_t now_ms) {
  if (cooldown_ms_ == 0) cooldown_ms_ = options.circuit_cooldown_ms;
  if (state_ == CircuitState::kHalfOpen) {
    probe_in_flight_ = false;
    if (failed) {
      cooldown_ms_ = std::min(cooldown_ms_ * 2, options.circuit_max_cooldown_ms);
      open(now_ms);
      return GateChange::kOpened;
    }
    state_ = CircuitState::kClosed;
    window_.clear();
    failures_ = 0;
    cooldown_ms_ = options.circuit_cooldown_ms;
    return GateChange::kClosed;
  }
  if (state_ == CircuitState::kOpen) return GateChange::kNone;  // started before it opened
  window_.push_back(failed);
  if (failed) ++failures_;
  if (static_cast<int>(window_.size()) > options.circuit_window) {
    if (window_.front()) --failures_;
    window_.pop_front();
  }
  const auto attempts = static_cast<int>(window_.size());
  if (attempts >= options.circuit_min_attempts &&
      failures_ >= options.circuit_failure_ratio * attempts) {
    open(now_ms);
    return GateChange::kOpened;
  }
  if (failures_ == 0 && !bucket_.started()) return GateChange::kIdle;
  return GateChange::kNone;
}

void EndpointGate::open(int64_t now_ms) {
  state_ = CircuitState::kOpen;
  probe_in_flight_ = false;
  open_until_ms_ = now_ms + cooldown_ms_;
}

}  // namespace hookd
