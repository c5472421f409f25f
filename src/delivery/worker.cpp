#include "delivery/worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "common/ids.h"
#include "common/random.h"
#include "common/time.h"
#include "delivery/attempt_outcome.h"
#include "delivery/transfer.h"

namespace hookd {

namespace {
constexpr int64_t kSurveyEveryMs = 100;  // survey_stalls
}  // namespace

DeliveryWorker::DeliveryWorker(const DispatcherOptions& options, const Catalog& catalog,
                               Store& store, Metrics& metrics, DeliveryObserver* observer,
                               std::function<void()> on_room)
    : options_(options),
      catalog_(catalog),
      store_(store),
      metrics_(metrics),
      observer_(observer),
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
  std::vector<DeliveryJob> incoming;
  std::vector<std::pair<std::string, uint64_t>> released;
  std::vector<std::pair<Transfer*, CURLcode>> done;
  std::vector<Transfer*> lent;
  std::vector<std::pair<Transfer*, CURLcode>> returned;
  for (;;) {
    {
      std::lock_guard lock(inbox_mu_);
      if (stopping_) break;
      incoming.swap(inbox_);
      released.swap(released_);
      lent.swap(lent_in_);
      returned.swap(given_back_);
    }
    for (Transfer* t : lent) curl_multi_add_handle(multi_, t->easy);  // counted by the lender
    lent.clear();
    for (const auto& [transfer, code] : returned) finish(transfer, code);
    returned.clear();
    // The queue-depth gauge already dropped these deliveries when their outcome was known.
    for (const auto& [key, seq] : released) ledger_.settle(key, seq);
    released.clear();
    int64_t now = now_unix_ms();
    for (auto& job : incoming) admit(std::move(job), now);
    incoming.clear();
    while (!timers_.empty() && timers_.top().due_at <= now) {
      backlog_.fetch_add(1, std::memory_order_relaxed);
      make_ready(DeliveryJob(timers_.top()));
      timers_.pop();
    }
    queues_.undefer(now_steady_ms());
    start_transfers(now);
    hand_out(to_lend_, &DeliveryWorker::lend);

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
    now = now_unix_ms();
    start_transfers(now);
    hand_out(to_lend_, &DeliveryWorker::lend);

    survey_stalls(now_steady_ms());
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
    curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
  }
  metrics_.deliveries_in_flight.fetch_sub(in_flight_);
  metrics_.delivery_queue_depth.store(0);  // nothing waits in a stopped dispatcher
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
  queue.batch_max = endpoint && !endpoint->disabled ? endpoint->batch_max_events : 0;
  int64_t defer_until = 0;
  bool held_back = false;
  while (!queue.ready.empty() && queue.in_flight < queue.cap &&
         in_flight_ < options_.worker_max_in_flight) {
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

void DeliveryWorker::report_circuit(const std::string& endpoint_id, const EndpointGate& gate) {
  if (!observer_) return;
  const int64_t open_until =
      gate.state() == CircuitState::kOpen ? now_unix_ms() + gate.cooldown_ms() : 0;
  observer_->circuit_changed(endpoint_id, gate.state(), open_until);
}

void DeliveryWorker::observe_circuit(const std::string& endpoint_id, bool failed,
                                     int64_t now_steady) {
  if (options_.circuit_window <= 0 || (!failed && gates_.empty())) return;
  auto it = gates_.find(endpoint_id);
  if (it == gates_.end()) {
    if (!failed) return;  // healthy: no state kept
    it = gates_.emplace(endpoint_id, EndpointGate{}).first;
  }
  const GateChange change = it->second.observe(failed, options_, now_steady);
  if (change == GateChange::kIdle) {
    gates_.erase(it);  // healthy again and not throttled
  } else if (change != GateChange::kNone) {
    report_circuit(endpoint_id, it->second);
  }
}

bool DeliveryWorker::start_one(DeliveryJob&& job, std::vector<DeliveryJob>&& more, int64_t now,
                               EndpointPtr endpoint) {
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
      // Throttled or paused by its circuit: waits on its own schedule, not on this thread.
      is_stalled = true;
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
}

void DeliveryWorker::release_batch(const DeliveryJob& job) {
  release(job);
  if (job.batch_rest) {
    for (const auto& rest : *job.batch_rest) release(rest);
  }
}

void DeliveryWorker::record_then_release(write::RecordAttempt&& record, const DeliveryJob* job) {
  if (!job || (job->trigger != TriggerType::kScheduled && !job->replay)) {
    store_.write(std::move(record), nullptr);
    return;
  }
  store_.write(std::move(record), [this, key = DeliveryLedger::key_of(*job)](const WriteResult&) {
    // Whatever the result: a refused write leaves the delivery pending in the store, where the
    // loader will find it again.
    bool first;
    {
      std::lock_guard lock(inbox_mu_);
      first = released_.empty();
      released_.emplace_back(key, store_.commit_sequence());
    }
    // The writer completes a whole commit's callbacks at once: one wakeup serves them all.
    if (first) curl_multi_wakeup(multi_);
  });
}

void DeliveryWorker::finish(Transfer* raw, CURLcode code) {
  std::unique_ptr<Transfer> t(raw);
  --in_flight_;
  metrics_.deliveries_in_flight.fetch_sub(1, std::memory_order_relaxed);
  const int64_t now = now_unix_ms();
  const TransferOutcome outcome = classify(*t, code);
  const std::string& endpoint_id = t->endpoint->id;
  const int64_t now_steady = now_steady_ms();
  observe_circuit(endpoint_id, !outcome.success, now_steady);
  const bool was_failing = !failing_.empty() && failing_.count(endpoint_id) > 0;
  record_attempts(*t, code, outcome, was_failing, now);
  if (outcome.success) {
    if (was_failing) failing_.erase(endpoint_id);
  } else if (!was_failing) {
    failing_.insert(endpoint_id);
  }
  request_ended(endpoint_id, now_steady);
  t->recycle();
  idle_transfers_.push_back(std::move(t));
}

namespace {

// The attempt record of one delivery a request carried.
write::RecordAttempt attempt_record(const DeliveryJob& job, const Endpoint& endpoint,
                                    const TransferOutcome& outcome, const AttemptDecision& decision,
                                    std::string response, int64_t duration_ms, int64_t now) {
  write::RecordAttempt record;
  Attempt& a = record.attempt;
  a.id = new_id("atmpt_");
  a.msg_id = job.message->id;
  a.endpoint_id = endpoint.id;
  a.app_id = endpoint.app_id;
  a.url = endpoint.url;
  a.status = outcome.success ? DeliveryStatus::kSuccess : DeliveryStatus::kFailed;
  a.status_code = outcome.status_code;
  a.response = std::move(response);
  a.duration_ms = duration_ms;
  a.trigger = job.trigger;
  a.error_class = outcome.error_class;
  a.created_at = now;

  Delivery& d = record.delivery;
  d.msg_id = a.msg_id;
  d.endpoint_id = a.endpoint_id;
  d.app_id = a.app_id;
  d.updated_at = now;
  d.attempts = job.attempts_made + 1;
  d.status = decision.status;
  d.next_attempt_at = decision.next_attempt_at;
  record.update_delivery = decision.update_delivery;
  return record;
}

}  // namespace

void DeliveryWorker::record_attempts(Transfer& t, CURLcode code, const TransferOutcome& outcome,
                                     bool was_failing, int64_t now) {
  const Endpoint& endpoint = *t.endpoint;
  std::string response = take_response_text(t, code, outcome);
  const int64_t duration_ms = t.ended_steady_ms - t.started_steady_ms;
  RetrySchedule own_schedule;
  RetryPolicy policy;
  policy.schedule = &retry_schedule_for(endpoint, options_.retry, own_schedule);
  policy.gone_delay_ms =
      options_.retry.delays_ms.empty() ? 5'000 : options_.retry.delays_ms.front();
  policy.memory_horizon_ms = options_.memory_horizon_ms;
  policy.unit_random = &random_unit;

  // Every delivery the request carried (one, or a batch) gets its own attempt record, all with
  // the request's outcome. The deliveries of a failed batch that are retried share one delay
  // and go again together.
  std::optional<int64_t> batch_delay;
  std::optional<DeliveryJob> retry_head;
  std::vector<DeliveryJob> retry_rest;
  const size_t count = t.job_count();
  for (size_t i = 0; i < count; ++i) {
    DeliveryJob& job = t.job_at(i);
    AttemptFacts facts;
    facts.success = outcome.success;
    facts.gone = outcome.status_code == 410;
    facts.trigger = job.trigger;
    facts.replay = job.replay;
    facts.attempts = job.attempts_made + 1;
    facts.retry_after_ms = t.retry_after_ms;
    const AttemptDecision decision = decide_attempt(facts, policy, now, batch_delay);
    write::RecordAttempt record =
        attempt_record(job, endpoint, outcome, decision,
                       i + 1 == count ? std::move(response) : response, duration_ms, now);
    count_attempt(job, decision, outcome.success, now);
    if (observer_ && (!outcome.success || was_failing || job.attempts_made > 0)) {
      report_attempt(record, job, outcome, decision);
    }
    record_then_release(std::move(record), decision.release_after_commit ? &job : nullptr);
    if (decision.retry_in_memory) {
      DeliveryJob retry = std::move(job);
      retry.attempts_made = facts.attempts;
      retry.due_at = decision.next_attempt_at;
      if (!retry_head) {
        retry_head = std::move(retry);
      } else {
        retry_rest.push_back(std::move(retry));
      }
    }
  }
  if (retry_head) {
    if (!retry_rest.empty()) {
      retry_head->batch_rest = std::make_shared<std::vector<DeliveryJob>>(std::move(retry_rest));
    }
    timers_.push(std::move(*retry_head));
  }
}

void DeliveryWorker::count_attempt(const DeliveryJob& job, const AttemptDecision& decision,
                                   bool success, int64_t now) {
  if (success) {
    metrics_.attempts_succeeded.fetch_add(1, std::memory_order_relaxed);
    metrics_.deliveries_succeeded.fetch_add(1, std::memory_order_relaxed);
    metrics_.observe_delivery_latency(static_cast<double>(now - job.message->created_at) / 1e3);
  } else {
    metrics_.attempts_failed.fetch_add(1, std::memory_order_relaxed);
    if (decision.exhausted) metrics_.deliveries_failed.fetch_add(1, std::memory_order_relaxed);
  }
  if (decision.release_after_commit && job.trigger == TriggerType::kScheduled) {
    // No longer waiting here, though still held until the outcome is durable.
    metrics_.delivery_queue_depth.fetch_sub(1, std::memory_order_relaxed);
  }
}

void DeliveryWorker::report_attempt(const write::RecordAttempt& record, const DeliveryJob& job,
                                    const TransferOutcome& outcome,
                                    const AttemptDecision& decision) {
  AttemptOutcome o;
  o.app_id = record.attempt.app_id;
  o.endpoint_id = record.attempt.endpoint_id;
  o.message = job.message;
  o.attempt_id = record.attempt.id;
  o.at_ms = record.attempt.created_at;
  o.success = outcome.success;
  o.gone = outcome.status_code == 410;
  o.will_retry = decision.will_retry;
  o.exhausted = decision.exhausted;
  o.status_code = outcome.status_code;
  o.error_class = outcome.error_class;
  o.attempts_made = record.delivery.attempts;
  o.trigger = job.trigger;
  observer_->attempt_finished(std::move(o));
}

void DeliveryWorker::request_ended(const std::string& endpoint_id, int64_t now_steady) {
  auto it = queues_.find(endpoint_id);
  if (it == queues_.end()) return;
  EndpointQueue& queue = it->second;
  --queue.in_flight;
  queue.last_progress_ms = now_steady;
  if (!queue.ready.empty()) {
    queues_.wake(queue, it->first);
  } else if (queue.in_flight == 0) {
    queues_.drop(it);
  }
}

}  // namespace hookd
