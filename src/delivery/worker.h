#pragma once

#include <curl/curl.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "delivery/delivery_ledger.h"
#include "delivery/dispatcher.h"
#include "delivery/endpoint_gate.h"
#include "delivery/endpoint_queues.h"
#include "delivery/live_feed.h"

namespace hookd {

struct AttemptDecision;
struct Transfer;
struct TransferOutcome;

// One delivery thread: a libcurl multi handle, a timer heap for retries, and a queue per
// endpoint. All state but the inbox is owned by the thread.
class DeliveryWorker final {
 public:
  // `on_room` is called (on the delivery thread) when an endpoint whose queue was full, so that
  // jobs were dropped from memory (they are still pending in the store), has room again.
  DeliveryWorker(const DispatcherOptions& options, const Catalog& catalog, Store& store,
                 Metrics& metrics, DeliveryObserver* observer, std::function<void()> on_room,
                 LiveFeed* live = nullptr);
  ~DeliveryWorker();

  void start();
  // Asks the thread to stop and returns; stop() also waits for it. The dispatcher asks every
  // thread first, so none keeps lending to or running for one that has already stopped.
  void request_stop();
  void stop();
  // The delivery threads that may run this one's requests, itself included; set before start.
  void set_peers(std::vector<DeliveryWorker*> peers);
  // Thread-safe.
  void post(std::vector<DeliveryJob>&& jobs);
  // Requests prepared by another delivery thread, to run on this one's multi handle: one busy
  // endpoint (a backlog after a restart) would otherwise keep one thread at a full core while
  // the other idles. The owner keeps the endpoint's queue, caps and circuit; this thread only
  // carries the HTTP exchange and hands the finished transfer back. Thread-safe.
  void lend(std::vector<Transfer*>&& transfers);
  // Finished requests this thread lent out, with their libcurl result. Thread-safe.
  void give_back(std::vector<std::pair<Transfer*, CURLcode>>&& finished);
  // Due jobs not started yet (posted or queued), leaving out those of stalled endpoints: ones
  // at their in-flight cap with no request finishing for a second (a receiver that hangs).
  // Their jobs wait on the receiver, not on this thread, so they must not hold the loader
  // back. Thread-safe.
  size_t backlog() const {
    const size_t all = backlog_.load(std::memory_order_relaxed);
    const size_t stalled = stalled_ready_.load(std::memory_order_relaxed);
    return all > stalled ? all - stalled : 0;
  }
  // Appends the ids of stalled endpoints, whose deliveries the loader need not read now.
  void stalled_endpoints(std::vector<std::string>& out) const;

 private:
  // What other threads handed in since the thread's last turn (the inbox, swapped out).
  struct HandedIn {
    std::vector<DeliveryJob> jobs;
    std::vector<std::pair<std::string, uint64_t>> released;
    std::vector<std::pair<std::string, uint64_t>> revoked;
    std::vector<Transfer*> lent;
    std::vector<std::pair<Transfer*, CURLcode>> returned;
  };

  void run();
  // Runs lent requests, finishes returned ones and settles released deliveries.
  void take_handed_in(HandedIn& handed);
  // Lets libcurl move every transfer on, and takes those that ended (`done`: reused storage).
  void perform(std::vector<std::pair<Transfer*, CURLcode>>& done);
  // How long the thread may sleep: until the next timer, deferred queue or due survey, 1 s at most.
  int poll_wait_ms(int64_t now) const;
  void survey_stalls(int64_t now_steady);
  void admit(DeliveryJob&& job, int64_t now);
  void make_ready(DeliveryJob&& job);
  void start_transfers(int64_t now);
  // Starts what the runnable queue may start now, and defers or lists it again.
  void start_queue(EndpointQueues::Map::iterator it, int64_t now, int64_t now_steady);
  // Whether the queue waits for its batch to fill (then `defer_until` says until when).
  bool wait_for_batch(EndpointQueue& queue, const Endpoint* endpoint, int64_t now,
                      int64_t now_steady, int64_t& defer_until);
  // The rest of the request `job` heads: a failed batch's rest, or more ready jobs when the
  // endpoint batches.
  std::vector<DeliveryJob> take_batch_rest(EndpointQueue& queue, DeliveryJob& job);
  // `endpoint`: the job's endpoint as the catalog has it now (null: deleted).
  // `more`: the rest of a batch, sent with `job` in one request.
  bool start_one(DeliveryJob&& job, std::vector<DeliveryJob>&& more, int64_t now,
                 EndpointPtr endpoint);
  // Whether one more request may start to the endpoint now (circuit, throttle); when not,
  // `defer_until` is the steady ms to look again, or 0 to wait for a request to finish.
  bool take_slot(const std::string& endpoint_id, const Endpoint* endpoint, int64_t now_steady,
                 int64_t& defer_until);
  void observe_circuit(const std::string& endpoint_id, bool failed, int64_t now_steady);
  // Tells the observer the circuit's new state.
  void report_circuit(const std::string& endpoint_id, const EndpointGate& gate);
  void finish(Transfer* transfer, CURLcode code);
  // Records the outcome of every delivery the finished request carried, and keeps those retried
  // soon on the timers.
  void record_attempts(Transfer& transfer, CURLcode code, const TransferOutcome& outcome,
                       bool was_failing, int64_t now);
  void count_attempt(const DeliveryJob& job, const AttemptDecision& decision, bool success,
                     int64_t now);
  void report_attempt(const write::RecordAttempt& record, const DeliveryJob& job,
                      const TransferOutcome& outcome, const AttemptDecision& decision);
  // A request to the endpoint ended: its queue has a free slot.
  void request_ended(const std::string& endpoint_id, int64_t now_steady);
  // Runs the transfer on the least loaded delivery thread: this one, or a peer (via to_lend_).
  void launch(Transfer* transfer);
  // Appends `items` to one of this thread's inbox boxes (under inbox_mu_) and wakes the thread
  // when the box was empty.
  template <typename T>
  void hand_in(std::vector<T>& box, std::vector<T>&& items);
  // Hands what was set aside per peer (to_lend_, to_give_back_) to the peers, one call each.
  template <typename T>
  void hand_out(std::vector<std::vector<T>>& by_peer,
                void (DeliveryWorker::*into)(std::vector<T>&&));
  // Takes a transfer out of this thread's multi handle after it ended: finished here when this
  // thread owns it, set aside for its owner otherwise.
  void ended(Transfer* transfer, CURLcode code);
  void release(const DeliveryJob& job);
  // Writes the claims released since the last flush (write::ReleaseClaims).
  void flush_unclaimed();
  // On stop: releases the claims of every job not started.
  void hand_back_claims();
  // Releases the job and the rest of its batch.
  void release_batch(const DeliveryJob& job);
  // Writes `record`; with `release`, releases the job once the record is durable, so the loader
  // cannot read the delivery as pending (and send it again) while its outcome is still being
  // written. A retry kept in memory under a claim is revoked when the write is refused.
  void record_then_release(write::RecordAttempt&& record, const DeliveryJob& job, bool release);
  // Cluster mode: whether the job's claim was taken over or its lease would end before its
  // request could; such a job is not sent (the delivery is, or will be, another claim's).
  bool claim_lost(const DeliveryJob& job, int64_t now);
  // Drops the queue's first job when its claim is lost (true), so it does not use up a slot.
  bool drop_lost_claim(EndpointQueue& queue, int64_t now);

  // Constant after construction.
  const DispatcherOptions& options_;
  const Catalog& catalog_;
  Store& store_;
  Metrics& metrics_;
  DeliveryObserver* const observer_;  // may be null
  LiveFeed* const live_;              // may be null; every attempt goes here while subscribed
  const std::function<void()> on_room_;
  CURLM* multi_ = nullptr;
  std::atomic<size_t> backlog_{0};
  std::atomic<size_t> stalled_ready_{0};
  mutable std::mutex stalled_mu_;
  std::vector<std::string> stalled_ids_;  // guarded by stalled_mu_
  int64_t last_survey_ms_ = 0;            // delivery thread only

  std::mutex inbox_mu_;
  // Guarded by inbox_mu_.
  std::vector<DeliveryJob> inbox_;
  // Keys whose outcome is now durable, with the commit sequence that made it so.
  std::vector<std::pair<std::string, uint64_t>> released_;
  // Keys whose claim (the second) was taken over by another node: DeliveryLedger::revoke.
  std::vector<std::pair<std::string, uint64_t>> revoked_;
  std::vector<Transfer*> lent_in_;                          // to run here (lend)
  std::vector<std::pair<Transfer*, CURLcode>> given_back_;  // ours, finished elsewhere
  bool stopping_ = false;

  // Owned by the delivery thread.
  std::thread thread_;
  EndpointQueues queues_;
  // Made only for endpoints that failed or are throttled (the healthy path never touches one).
  std::unordered_map<std::string, EndpointGate> gates_;
  std::unordered_set<std::string> failing_;  // endpoints whose last attempt failed
  RetryTimers timers_;                       // jobs due later, by due time
  DeliveryLedger ledger_;
  write::ReleaseClaims unclaimed_;  // claimed jobs let go of since the last flush
  std::vector<std::unique_ptr<Transfer>> idle_transfers_;
  int in_flight_ = 0;  // requests this thread owns, wherever they run
  // Requests on this thread's multi handle, its own and lent ones, counted by whoever decides
  // where a request runs; the load that launch() balances.
  std::atomic<int> running_{0};
  std::vector<DeliveryWorker*> peers_;           // constant after start
  std::vector<std::vector<Transfer*>> to_lend_;  // by peer index, until hand_out
  std::vector<std::vector<std::pair<Transfer*, CURLcode>>> to_give_back_;  // by peer index
};

}  // namespace hookd
