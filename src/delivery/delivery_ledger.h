#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "delivery/delivery_job.h"

// Which deliveries one delivery thread holds, and which it settled lately. A delivery is held in
// memory at most once (a second copy, e.g. from recovery racing a live enqueue, is dropped), a
// replay is on its way at most once, and a store read that began before a delivery's outcome
// committed may still show it pending: the ledger tells such a stale copy from a pending
// delivery. Deliveries are named by key_of ("msg_id endpoint_id").
//
// Not thread-safe: owned by one delivery thread.
namespace hookd {

class DeliveryLedger final {
 public:
  static std::string key_of(const DeliveryJob& job) {
    std::string key = job.message->id;
    key.push_back(' ');
    key += job.endpoint_id;
    return key;
  }

  // Whether the job comes from a store read made before its delivery's outcome committed (or
  // is a read's watermark, with no message), and must not be sent. Store reads reach the
  // thread in the order they were made: settlements older than this read are forgotten.
  bool stale(const DeliveryJob& job) { return job.snapshot_seq != 0 && stale_read(job); }
  // Marks a replay as on its way; false when one already is.
  bool start_replay(const DeliveryJob& job) { return replaying_.insert(key_of(job)).second; }
  // Holds a scheduled delivery; false when it is already held.
  bool hold(const DeliveryJob& job) { return held_.insert(key_of(job)).second; }
  // Lets go of a job that will not be sent from here. Returns whether it was a held scheduled
  // delivery (one fewer waiting in memory).
  bool release(const DeliveryJob& job) {
    if (job.replay) replaying_.erase(key_of(job));
    if (!revoked_.empty()) revoked_.erase(key_of(job));
    return job.trigger == TriggerType::kScheduled && held_.erase(key_of(job)) > 0;
  }
  // A delivery whose outcome committed at `commit_seq`: no longer held, and stale in any store
  // read that began before that commit.
  void settle(const std::string& key, uint64_t commit_seq) {
    held_.erase(key);
    if (!replaying_.empty()) replaying_.erase(key);
    settled_[key] = commit_seq;
    settled_order_.emplace_back(commit_seq, key);
  }

  // Cluster mode: the delivery's claim `claim` was taken over by another node (the write of its
  // outcome was refused), so its job held here under that claim must not be sent.
  void revoke(const std::string& key, uint64_t claim) { revoked_[key] = claim; }
  // Whether the job's claim was revoked; forgets the revocation when it was.
  bool revoked(const DeliveryJob& job) {
    if (revoked_.empty() || job.claim == 0) return false;
    auto it = revoked_.find(key_of(job));
    if (it == revoked_.end() || it->second != job.claim) return false;
    revoked_.erase(it);
    return true;
  }

  size_t held() const { return held_.size(); }
  size_t settled() const { return settled_.size(); }

 private:
  bool stale_read(const DeliveryJob& job);

  std::unordered_set<std::string> held_;       // keys of scheduled jobs held here
  std::unordered_set<std::string> replaying_;  // keys of replay jobs until their outcome commits
  std::unordered_map<std::string, uint64_t> revoked_;  // key -> the claim taken over
  // Settled deliveries by key -> commit sequence, and the same in settling order for pruning.
  std::unordered_map<std::string, uint64_t> settled_;
  std::deque<std::pair<uint64_t, std::string>> settled_order_;
};

}  // namespace hookd
