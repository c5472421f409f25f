#include "delivery/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "common/time.h"
#include "delivery/transfer.h"

namespace hookd {

namespace {
constexpr int64_t kSurveyEveryMs = 100;  // survey_stalls
}  // namespace

DeliveryWorker::DeliveryWorker(const DispatcherOptions& options, const Catalog& catalog,
                               Store& store, Metrics& metrics, DeliveryObserver* observer,
                               std::function<void()> on_room, LiveFeed* live)
    : options_(options),
      catalog_(catalog),
      store_(store),
      metrics_(metrics),
      observer_(observer),
      live_(live),
      on_room_(std::move(on_room)) {
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
  // launch() keeps the threads' loads within one request of each other, so a thread runs
  // at most about its own cap plus one per peer.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options.worker_max_in_flight + std::max(1, options.threads)));
}

DeliveryWorker::~DeliveryWorker() {
  stop();
  curl_multi_cleanup(multi_);
}

void DeliveryWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void DeliveryWorker::request_stop() {
  {
    std::lock_guard lock(inbox_mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(multi_);
}

void DeliveryWorker::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::set_peers(std::vector<DeliveryWorker*> peers) {
  peers_ = std::move(peers);
  to_lend_.resize(peers_.size());
  to_give_back_.resize(peers_.size());
}

template <typename T>
void DeliveryWorker::hand_in(std::vector<T>& box, std::vector<T>&& items) {
  bool first;
  {
    std::lock_guard lock(inbox_mu_);
    first = box.empty();
    if (first) {
      box = std::move(items);
    } else {
      box.insert(box.end(), std::make_move_iterator(items.begin()),
                 std::make_move_iterator(items.end()));
    }
  }
  // The thread takes every box after each wakeup: a non-empty box already has one on its way
  // (the writer hands over a commit's messages one by one, each would be a syscall).
  if (first) curl_multi_wakeup(multi_);
}

template <typename T>
void DeliveryWorker::hand_out(std::vector<std::vector<T>>& by_peer,
                              void (DeliveryWorker::*into)(std::vector<T>&&)) {
  for (size_t i = 0; i < by_peer.size(); ++i) {
    if (by_peer[i].empty()) continue;
    (peers_[i]->*into)(std::move(by_peer[i]));
    by_peer[i].clear();
  }
}

void DeliveryWorker::lend(std::vector<Transfer*>&& transfers) {
  hand_in(lent_in_, std::move(transfers));
}

void DeliveryWorker::give_back(std::vector<std::pair<Transfer*, CURLcode>>&& finished) {
  hand_in(given_back_, std::move(finished));
}

void DeliveryWorker::launch(Transfer* t) {
  t->owner = this;
  // A peer takes the request only when it runs at least two fewer: a thread never hands work
  // to one as busy as itself, and both end up carrying an equal share of one endpoint.
  size_t chosen = peers_.size();
  int least = running_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i] == this) continue;
    const int load = peers_[i]->running_.load(std::memory_order_relaxed);
    if (load + 1 < least) {
      least = load;
      chosen = i;
    }
  }
  if (chosen == peers_.size()) {
    running_.fetch_add(1, std::memory_order_relaxed);
    curl_multi_add_handle(multi_, t->easy);
    return;
  }
  peers_[chosen]->running_.fetch_add(1, std::memory_order_relaxed);
  to_lend_[chosen].push_back(t);
  metrics_.delivery_requests_lent.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryWorker::ended(Transfer* t, CURLcode code) {
  t->ended_steady_ms = now_steady_ms();  // here: a lent request's way back is not its duration
  curl_multi_remove_handle(multi_, t->easy);
  running_.fetch_sub(1, std::memory_order_relaxed);
  if (t->owner == this) {
    finish(t, code);
    return;
  }
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (peers_[i] == t->owner) {
      to_give_back_[i].emplace_back(t, code);
      return;
    }
  }
}

void DeliveryWorker::post(std::vector<DeliveryJob>&& jobs) {
  backlog_.fetch_add(jobs.size(), std::memory_order_relaxed);
  hand_in(inbox_, std::move(jobs));
}

void DeliveryWorker::run() {
  pthread_setname_np(pthread_self(), "hookd-deliver");
  HandedIn handed;
  std::vector<std::pair<Transfer*, CURLcode>> done;
  for (;;) {
    {
      std::lock_guard lock(inbox_mu_);
      if (stopping_) break;
      handed.jobs.swap(inbox_);
      handed.released.swap(released_);
      handed.revoked.swap(revoked_);
      handed.lent.swap(lent_in_);
      handed.returned.swap(given_back_);
    }
    take_handed_in(handed);
    int64_t now = now_unix_ms();
    for (auto& job : handed.jobs) admit(std::move(job), now);
    handed.jobs.clear();
    while (!timers_.empty() && timers_.top().due_at <= now) {
      backlog_.fetch_add(1, std::memory_order_relaxed);
      make_ready(DeliveryJob(timers_.top()));
      timers_.pop();
    }
    queues_.undefer(now_steady_ms());
    start_transfers(now);
    hand_out(to_lend_, &DeliveryWorker::lend);

    perform(done);
    now = now_unix_ms();
    start_transfers(now);
    hand_out(to_lend_, &DeliveryWorker::lend);

    survey_stalls(now_steady_ms());
    flush_unclaimed();
    curl_multi_poll(multi_, nullptr, 0, poll_wait_ms(now), nullptr);
  }
  metrics_.deliveries_in_flight.fetch_sub(in_flight_);
  metrics_.delivery_queue_depth.store(0);  // nothing waits in a stopped dispatcher
  hand_back_claims();
}

void DeliveryWorker::hand_back_claims() {
  // Cluster mode: what this node held claimed and had not started is due again for the others
  // at once, rather than when its lease ends. Requests in flight stay claimed: their outcome is
  // not known.
  for (auto& [id, queue] : queues_.all()) {
    for (const auto& job : queue.ready) release_batch(job);
  }
  for (; !timers_.empty(); timers_.pop()) release_batch(timers_.top());
  {
    std::lock_guard lock(inbox_mu_);
    for (const auto& job : inbox_) release_batch(job);
  }
  flush_unclaimed();
}

void DeliveryWorker::take_handed_in(HandedIn& handed) {
  for (Transfer* t : handed.lent) curl_multi_add_handle(multi_, t->easy);  // counted by the lender
  handed.lent.clear();
  for (const auto& [transfer, code] : handed.returned) finish(transfer, code);
  handed.returned.clear();
  // The queue-depth gauge already dropped these deliveries when their outcome was known.
  for (const auto& [key, seq] : handed.released) ledger_.settle(key, seq);
  handed.released.clear();
  for (const auto& [key, claim] : handed.revoked) ledger_.revoke(key, claim);
  handed.revoked.clear();
}

void DeliveryWorker::perform(std::vector<std::pair<Transfer*, CURLcode>>& done) {
  int running = 0;
  curl_multi_perform(multi_, &running);
  // Every message is read before any handle is removed: libcurl's remove walks the list of
  // unread messages, so removing while reading costs O(n^2) when many transfers end at once.
  int pending = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &pending)) {
    if (m->msg != CURLMSG_DONE) continue;
    Transfer* transfer = nullptr;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &transfer);
    done.emplace_back(transfer, m->data.result);
  }
  for (const auto& [transfer, code] : done) ended(transfer, code);
  done.clear();
  hand_out(to_give_back_, &DeliveryWorker::give_back);
}

int DeliveryWorker::poll_wait_ms(int64_t now) const {
  int wait_ms = 1000;
  if (!timers_.empty()) {
    wait_ms = static_cast<int>(std::clamp<int64_t>(timers_.top().due_at - now, 0, 1000));
  }
  if (queues_.has_deferred()) {
    wait_ms = static_cast<int>(
        std::clamp<int64_t>(queues_.next_deferred_ms() - now_steady_ms(), 0, wait_ms));
  }
  if (queues_.shed_dropped()) {
    // Its next survey asks the loader for the jobs it shed: an idle thread must not sleep
    // through it.
    wait_ms = static_cast<int>(
        std::clamp<int64_t>(last_survey_ms_ + kSurveyEveryMs - now_steady_ms(), 0, wait_ms));
  }
  return wait_ms;
}

void DeliveryWorker::admit(DeliveryJob&& job, int64_t now) {
  // A stale read, a replay already on its way, or a second copy of a held delivery: dropped.
  if (ledger_.stale(job) || (job.replay && !ledger_.start_replay(job)) ||
      (job.trigger == TriggerType::kScheduled && !ledger_.hold(job))) {
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  if (job.trigger == TriggerType::kScheduled) {
    metrics_.delivery_queue_depth.fetch_add(1, std::memory_order_relaxed);
  }
  if (job.due_at <= now) {
    make_ready(std::move(job));
  } else {
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    timers_.push(std::move(job));
  }
}

// Takes a job counted in backlog_.
void DeliveryWorker::make_ready(DeliveryJob&& job) {
  EndpointQueue& queue = queues_.get(job.endpoint_id);
  if (queue.last_progress_ms == 0) queue.last_progress_ms = now_steady_ms();  // a new queue
  if (job.trigger == TriggerType::kScheduled &&
      queue.ready.size() >= options_.endpoint_max_queued) {
    // The endpoint has more waiting than memory should hold: this one stays in the store and
    // the loader brings it back when the queue has room (survey_stalls asks for it then).
    // Asking now would make the loader read the store again while the queue is still full.
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    release_batch(job);
    queue.shed = true;
    return;
  }
  queue.ready.push_back(std::move(job));
  if (queue.in_flight < queue.cap_or(options_.endpoint_max_in_flight)) {
    queues_.wake(queue, queue.ready.back().endpoint_id);
  }
}

void DeliveryWorker::start_transfers(int64_t now) {
  // While the store refuses writes no outcome could be recorded, and a delivery whose outcome
  // is not recorded is sent again later: nothing starts until the store accepts writes again.
  if (!store_.writable()) return;
  const int64_t now_steady = now_steady_ms();
  while (queues_.has_runnable() && in_flight_ < options_.worker_max_in_flight) {
    const std::string endpoint_id = queues_.pop_runnable();
    auto it = queues_.find(endpoint_id);
    if (it == queues_.end()) continue;
    start_queue(it, now, now_steady);
  }
}

void DeliveryWorker::start_queue(EndpointQueues::Map::iterator it, int64_t now,
                                 int64_t now_steady) {
  const std::string& endpoint_id = it->first;
  EndpointQueue& queue = it->second;
  queue.listed = false;
  queue.batch_wait = false;
  const EndpointPtr endpoint = catalog_.endpoint_by_id(endpoint_id);
  queue.cap = endpoint && endpoint->max_concurrency ? *endpoint->max_concurrency
                                                    : options_.endpoint_max_in_flight;
  queue.rate = endpoint && endpoint->throttle_rate ? *endpoint->throttle_rate : 0;
  queue.batch_max = endpoint && !endpoint->disabled ? endpoint->batch_max_events : 0;
  int64_t defer_until = 0;
  bool held_back = false;
  while (!queue.ready.empty() && queue.in_flight < queue.cap &&
         in_flight_ < options_.worker_max_in_flight) {
    if (drop_lost_claim(queue, now)) continue;  // before it could take a slot of the endpoint's
    if (wait_for_batch(queue, endpoint.get(), now, now_steady, defer_until) ||
        !take_slot(endpoint_id, endpoint.get(), now_steady, defer_until)) {
      held_back = true;
      break;
    }
    DeliveryJob job = std::move(queue.ready.front());
    queue.ready.pop_front();
    backlog_.fetch_sub(1, std::memory_order_relaxed);
    std::vector<DeliveryJob> more = take_batch_rest(queue, job);
    if (start_one(std::move(job), std::move(more), now, endpoint)) ++queue.in_flight;
  }
  if (held_back) {
    // defer_until 0: a probe is in flight; its finish lists the queue again.
    if (defer_until > 0) queues_.defer(queue, endpoint_id, defer_until);
  } else if (!queue.ready.empty() && queue.in_flight < queue.cap) {
    queues_.list(queue, endpoint_id);  // the worker-wide cap stopped us; resume later
  }
  if (queue.ready.empty() && queue.in_flight == 0) queues_.drop(it);
}

bool DeliveryWorker::wait_for_batch(EndpointQueue& queue, const Endpoint* endpoint, int64_t now,
                                    int64_t now_steady, int64_t& defer_until) {
  // batch_max > 0 only for an endpoint that exists and is enabled.
  const auto batch_max = static_cast<size_t>(queue.batch_max);
  if (batch_max == 0 || queue.ready.front().batch_rest || queue.ready.size() >= batch_max) {
    return false;
  }
  // Not a full batch yet: wait for one, or until the oldest job has waited long enough.
  const int64_t fill_by = queue.ready.front().due_at + endpoint->batch_max_wait_ms;
  if (fill_by <= now) return false;
  defer_until = now_steady + (fill_by - now);
  queue.batch_wait = true;
  return true;
}

std::vector<DeliveryJob> DeliveryWorker::take_batch_rest(EndpointQueue& queue, DeliveryJob& job) {
  const auto batch_max = static_cast<size_t>(queue.batch_max);
  std::vector<DeliveryJob> more;
  if (job.batch_rest) {
    // A failed batch goes again as it was; when the endpoint stopped batching, the rest of it
    // waits in the store for the loader.
    if (batch_max > 0) {
      more = std::move(*job.batch_rest);
    } else {
      for (const auto& rest : *job.batch_rest) release(rest);
    }
    job.batch_rest.reset();
    return more;
  }
  while (more.size() + 1 < batch_max && !queue.ready.empty() && !queue.ready.front().batch_rest) {
    more.push_back(std::move(queue.ready.front()));
    queue.ready.pop_front();
    backlog_.fetch_sub(1, std::memory_order_relaxed);
  }
  return more;
}

bool DeliveryWorker::take_slot(const std::string& endpoint_id, const Endpoint* endpoint,
                               int64_t now_steady, int64_t& defer_until) {
  const int64_t rate = endpoint && endpoint->throttle_rate ? *endpoint->throttle_rate : 0;
  if (rate <= 0 && gates_.empty()) return true;  // the common case: no gate anywhere
  auto it = gates_.find(endpoint_id);
  if (it == gates_.end()) {
    if (rate <= 0) return true;  // the common case: healthy and not throttled
    it = gates_.emplace(endpoint_id, EndpointGate{}).first;
  }
  GateChange change = GateChange::kNone;
  const bool taken = it->second.take_slot(rate, now_steady, defer_until, change);
  if (change == GateChange::kHalfOpened) report_circuit(endpoint_id, it->second);
  return taken;
}

bool DeliveryWorker::claim_lost(const DeliveryJob& job, int64_t now) {
  // Room for the clocks of two nodes to differ a little, and for the outcome's write.
  constexpr int64_t kLeaseMarginMs = 2'000;
  if (job.claim == 0) return false;
  return ledger_.revoked(job) ||
         now + options_.request_timeout_ms + kLeaseMarginMs > job.lease_until;
}

bool DeliveryWorker::drop_lost_claim(EndpointQueue& queue, int64_t now) {
  DeliveryJob& job = queue.ready.front();
  if (job.claim == 0 || job.batch_rest || !claim_lost(job, now)) return false;
  metrics_.deliveries_unclaimed.fetch_add(1, std::memory_order_relaxed);
  release(job);
  queue.ready.pop_front();
  backlog_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool DeliveryWorker::start_one(DeliveryJob&& job, std::vector<DeliveryJob>&& more, int64_t now,
                               EndpointPtr endpoint) {
  if (claim_lost(job, now)) {
    // Pending in the store under a claim that ended: the next claim after its lease sends it.
    metrics_.deliveries_unclaimed.fetch_add(1 + more.size(), std::memory_order_relaxed);
    release_batch(job);
    for (const auto& rest : more) release(rest);
    return false;
  }
  if (!endpoint || endpoint->disabled) {
    // Deleted endpoints lost their deliveries with them; a disabled endpoint's deliveries stay
    // pending in the store and are reloaded when it is enabled again.
    release_batch(job);
    for (const auto& rest : more) release(rest);
    return false;
  }
  std::unique_ptr<Transfer> pooled;
  if (idle_transfers_.empty()) {
    pooled = std::make_unique<Transfer>(options_);
  } else {
    pooled = std::move(idle_transfers_.back());
    idle_transfers_.pop_back();
  }
  Transfer* t = pooled.release();  // owned by the multi handle until finish()
  t->job = std::move(job);
  t->more = std::move(more);
  if (endpoint->batch_max_events > 0) {
    const auto app = catalog_.find_app(endpoint->app_id);
    t->envelope_key = app ? envelope_key(*endpoint, *app) : endpoint->app_id;
  }
  t->endpoint = std::move(endpoint);
  prepare_request(*t, now);
  t->started_steady_ms = now_steady_ms();
  launch(t);
  ++in_flight_;
  metrics_.deliveries_in_flight.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void DeliveryWorker::survey_stalls(int64_t now_steady) {
  constexpr int64_t kStalledAfterMs = 1'000;
  if (now_steady - last_survey_ms_ < kSurveyEveryMs) return;
  last_survey_ms_ = now_steady;
  size_t stalled_ready = 0;
  std::vector<std::string> stalled;
  bool room_again = false;
  for (auto& [id, queue] : queues_.all()) {
    const int cap = queue.cap_or(options_.endpoint_max_in_flight);
    bool is_stalled = false;
    if (queue.deferred) {
      // Throttled or paused by its circuit: waits on its own schedule, not on this thread. A
      // throttled one still takes more while it holds less than two seconds' worth.
      is_stalled = queue.rate <= 0 || queue.ready.size() >= static_cast<size_t>(2 * queue.rate);
    } else if (queue.in_flight < cap) {
      queue.last_progress_ms = now_steady;
    } else if (now_steady - queue.last_progress_ms > kStalledAfterMs) {
      is_stalled = true;
    }
    if (is_stalled) {
      stalled_ready += queue.ready.size();
      stalled.push_back(id);
    } else if (queue.shed && queue.ready.size() <= options_.endpoint_max_queued / 2) {
      // A queue that shed jobs has room again. Asked for here, after this survey, the loader's
      // pass does not skip it as stalled.
      queue.shed = false;
      room_again = true;
    }
  }
  room_again = queues_.take_shed_dropped() || room_again;
  stalled_ready_.store(stalled_ready, std::memory_order_relaxed);
  {
    std::lock_guard lock(stalled_mu_);
    stalled_ids_.swap(stalled);
  }
  if (room_again && on_room_) on_room_();
}

void DeliveryWorker::stalled_endpoints(std::vector<std::string>& out) const {
  std::lock_guard lock(stalled_mu_);
  out.insert(out.end(), stalled_ids_.begin(), stalled_ids_.end());
}

void DeliveryWorker::release(const DeliveryJob& job) {
  if (ledger_.release(job)) metrics_.delivery_queue_depth.fetch_sub(1, std::memory_order_relaxed);
  // Claimed but not sent from here: due again for any node's next claim, not at the lease's end.
  if (job.claim != 0 && job.trigger == TriggerType::kScheduled) {
    unclaimed_.deliveries.push_back({job.message->id, job.endpoint_id, job.claim, job.due_at});
  }
}

void DeliveryWorker::flush_unclaimed() {
  if (unclaimed_.deliveries.empty()) return;
  store_.write(std::move(unclaimed_), nullptr);
  unclaimed_ = {};
}

void DeliveryWorker::release_batch(const DeliveryJob& job) {
  release(job);
  if (job.batch_rest) {
    for (const auto& rest : *job.batch_rest) release(rest);
  }
}

}  // namespace hookd
