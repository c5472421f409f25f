#include "delivery/worker.h"

#include <utility>

#include "common/ids.h"
#include "common/random.h"
#include "common/time.h"
#include "delivery/attempt_outcome.h"
#include "delivery/transfer.h"

// How a delivery thread takes a finished request: the attempt records of its deliveries, the
// retries it keeps, the circuit, and the endpoint queue's free slot. The loop and the lending
// are in worker.cpp.
namespace hookd {

void DeliveryWorker::record_then_release(write::RecordAttempt&& record, const DeliveryJob& job,
                                         bool release) {
  const bool settle = release && (job.trigger == TriggerType::kScheduled || job.replay);
  const uint64_t watched_claim = record.keep_claim ? record.claim : 0;
  if (!settle && watched_claim == 0) {
    store_.write(std::move(record), nullptr);
    return;
  }
  store_.write(std::move(record), [this, key = DeliveryLedger::key_of(job), settle,
                                   watched_claim](const WriteResult& result) {
    // Whatever the result: a refused write leaves the delivery pending in the store, where the
    // loader will find it again.
    const bool lost = watched_claim != 0 && result.status == WriteStatus::kConflict;
    if (!settle && !lost) return;
    bool first;
    {
      std::lock_guard lock(inbox_mu_);
      first = released_.empty() && revoked_.empty();
      if (settle) released_.emplace_back(key, store_.commit_sequence());
      if (lost) revoked_.emplace_back(key, watched_claim);
    }
    // The writer completes a whole commit's callbacks at once: one wakeup serves them all.
    if (first) curl_multi_wakeup(multi_);
  });
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

// Cluster mode: the record of a claimed delivery's attempt names its claim. A retry kept in
// memory keeps the claim, its lease running to a lease's length past the retry's due time.
void claim_record(write::RecordAttempt& record, const DeliveryJob& job,
                  const AttemptDecision& decision, int64_t lease_ms) {
  record.claim = job.claim;
  if (!decision.retry_in_memory) return;
  record.keep_claim = true;
  record.delivery.next_attempt_at += lease_ms;
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
    if (job.claim != 0) claim_record(record, job, decision, store_.claim_lease_ms());
    count_attempt(job, decision, outcome.success, now);
    if (live_ != nullptr && live_->active()) {
      live_->publish({record.attempt, job.message->event_type,
                      decision.will_retry ? decision.next_attempt_at : 0});
    }
    if (observer_ && (!outcome.success || was_failing || job.attempts_made > 0)) {
      report_attempt(record, job, outcome, decision);
    }
    const int64_t lease_until = record.keep_claim ? record.delivery.next_attempt_at : 0;
    record_then_release(std::move(record), job, decision.release_after_commit);
    if (decision.retry_in_memory) {
      DeliveryJob retry = std::move(job);
      retry.attempts_made = facts.attempts;
      retry.due_at = decision.next_attempt_at;
      if (retry.claim != 0) retry.lease_until = lease_until;
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
    metrics_.delivery_latency.observe(static_cast<double>(now - job.message->created_at) / 1e3);
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
