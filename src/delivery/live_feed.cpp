#include "delivery/live_feed.h"

namespace hookd {

std::vector<LiveAttempt> LiveSubscription::take(size_t& dropped) {
  std::lock_guard lock(mutex_);
  std::vector<LiveAttempt> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  dropped = dropped_;
  dropped_ = 0;
  return out;
}

void LiveSubscription::on_ready(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

void LiveSubscription::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  wake_ = nullptr;
  queue_.clear();
}

bool LiveSubscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void LiveSubscription::push(const LiveAttempt& attempt) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(attempt);
    if (queue_.size() == 1) wake = wake_;
  }
  if (wake) wake();  // outside the lock: the waker posts to an I/O thread
}

std::shared_ptr<LiveSubscription> LiveFeed::subscribe(const std::string& app_id,
                                                      const std::string& endpoint_id) {
  std::lock_guard lock(mutex_);
  prune();
  if (subscriptions_.size() >= max_subscribers_) return nullptr;
  auto subscription = std::make_shared<LiveSubscription>(app_id, endpoint_id, queue_capacity_);
  subscriptions_.push_back(subscription);
  subscribers_.store(subscriptions_.size(), std::memory_order_relaxed);
  return subscription;
}

void LiveFeed::publish(const LiveAttempt& attempt) {
  std::vector<std::shared_ptr<LiveSubscription>> targets;
  {
    std::lock_guard lock(mutex_);
    prune();
    for (const auto& weak : subscriptions_) {
      if (auto s = weak.lock(); s && s->wants(attempt.attempt)) targets.push_back(std::move(s));
    }
  }
  for (const auto& s : targets) s->push(attempt);
}

void LiveFeed::prune() {
  std::erase_if(subscriptions_, [](const std::weak_ptr<LiveSubscription>& weak) {
    const auto s = weak.lock();
    return !s || s->closed();
  });
  subscribers_.store(subscriptions_.size(), std::memory_order_relaxed);
}

}  // namespace hookd
