#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/message.h"

// Attempts as they are made, for the dashboard's live tail (GET .../attempt/live,
// docs/dashboard.md): delivery threads publish each attempt once its outcome is known, and each
// subscriber (one per open stream) receives those of its application, or of one endpoint, in a
// bounded queue. Without subscribers publishing costs one atomic load.
// Thread-safe: delivery threads publish; any thread subscribes, takes and closes.
namespace hookd {

struct LiveAttempt {
  Attempt attempt;
  std::string event_type;
  int64_t next_attempt_at = 0;  // unix ms of the retry this failure scheduled; 0: none
};

class LiveSubscription final {
 public:
  LiveSubscription(std::string app_id, std::string endpoint_id, size_t capacity)
      : app_id_(std::move(app_id)), endpoint_id_(std::move(endpoint_id)), capacity_(capacity) {}

  // What arrived since the last call; `dropped` is set to how many were left out since then
  // because the subscriber was slower than the deliveries (the oldest go first).
  std::vector<LiveAttempt> take(size_t& dropped);
  // Called, on a delivery thread, when an attempt arrives in an empty queue. Replaces the one
  // before; an empty function stops the calls.
  void on_ready(std::function<void()> wake);
  // Ends the subscription: nothing more arrives, and the feed forgets it.
  void close();

 private:
  friend class LiveFeed;
  bool wants(const Attempt& a) const {
    return a.app_id == app_id_ && (endpoint_id_.empty() || a.endpoint_id == endpoint_id_);
  }
  void push(const LiveAttempt& attempt);  // nothing once closed
  bool closed() const;

  const std::string app_id_;
  const std::string endpoint_id_;  // empty: every endpoint of the application
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<LiveAttempt> queue_;
  size_t dropped_ = 0;
  bool closed_ = false;
  std::function<void()> wake_;
};

class LiveFeed final {
 public:
  explicit LiveFeed(size_t max_subscribers = 64, size_t queue_capacity = 1'000)
      : max_subscribers_(max_subscribers), queue_capacity_(queue_capacity) {}

  // A subscription to the attempts of `app_id` (and only `endpoint_id`'s unless it is empty);
  // null when max_subscribers are open already.
  std::shared_ptr<LiveSubscription> subscribe(const std::string& app_id,
                                              const std::string& endpoint_id);
  bool active() const { return subscribers_.load(std::memory_order_relaxed) > 0; }
  void publish(const LiveAttempt& attempt);
  size_t max_subscribers() const { return max_subscribers_; }

 private:
  void prune();  // holds mutex_

  const size_t max_subscribers_;
  const size_t queue_capacity_;
  std::atomic<size_t> subscribers_{0};
  std::mutex mutex_;
  std::vector<std::weak_ptr<LiveSubscription>> subscriptions_;
};

}  // namespace hookd
