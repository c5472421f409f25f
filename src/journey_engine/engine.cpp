#include "journey_engine/engine.h"

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <algorithm>
#include <chrono>
#include <future>
#include <optional>

#include "common/time.h"

namespace hookd {

JourneyEngine::JourneyEngine(JourneyEngineOptions options, const Catalog& catalog, Store& store,
                             Metrics& metrics, JourneyMessageSink sink)
    : options_(options),
      catalog_(catalog),
      store_(store),
      metrics_(metrics),
      sink_(std::move(sink)),
      planner_(catalog, store) {}

JourneyEngine::~JourneyEngine() { stop(); }

void JourneyEngine::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-journeys");
    loop();
  });
}

void JourneyEngine::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JourneyEngine::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void JourneyEngine::loop() {
  int64_t failures = 0;
  for (;;) {
    size_t moved = 0;
    int64_t wait_ms = options_.poll_ms;
    if (store_.leader() && store_.writable()) {
      try {
        moved = run_once();
        failures = 0;
        if (moved == 0) wait_ms = idle_wait_ms(now_unix_ms());
      } catch (const std::exception& e) {
        // A read the store could not answer (its database is away): try again, backing off.
        if (failures++ == 0) spdlog::error("journey engine: {}", e.what());
        wait_ms = std::min<int64_t>(options_.poll_ms << std::min<int64_t>(failures, 4), 5'000);
      }
    }
    std::unique_lock lock(mu_);
    if (moved == 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return poked_ || stopping_; });
    }
    if (stopping_) return;
    poked_ = false;
  }
}

size_t JourneyEngine::run_once() {
  const int64_t now = now_unix_ms();
  refresh_journeys(now);
  size_t moved = apply_pending();
  moved += fire_due(now);
  moved += release_held();
  return moved;
}

void JourneyEngine::refresh_journeys(int64_t now) {
  std::set<std::string> paused;
  for (const auto& journey : catalog_.journeys().all()) {
    if (first_pass_) maybe_held_.insert(journey->id);  // what a pause before a restart held
    if (journey->status == JourneyStatus::kPaused) {
      paused.insert(journey->id);
    } else if (paused_.count(journey->id)) {
      catching_up_[journey->id] = now;
      maybe_held_.insert(journey->id);
    }
  }
  first_pass_ = false;
  paused_ = std::move(paused);
  if (now / 1000 != budget_second_) {
    budget_second_ = now / 1000;
    budget_used_.clear();
  }
}

// Pages of activities go through two stages: planned from a snapshot of the store, then
// committed. The next page is planned while one commits (the planner carries the committing
// page's runs, which its snapshot may not show yet), so the engine and the writer work at once.
size_t JourneyEngine::apply_pending() {
  size_t applied = 0;
  std::optional<Page> committing;
  int64_t after_seq = 0;
  for (bool more = true; more;) {
    Page page;
    try {
      page = plan_page(after_seq, !committing);
    } catch (...) {  // a read failed: the committing page is seen through first
      if (committing) settle(*committing);  // its messages go to the sink
      planner_.forget();
      throw;
    }
    if (committing) {
      const std::optional<size_t> done = settle(*committing);
      if (!done) {  // refused: nothing of it happened, and the page planned on it is void
        planner_.forget();
        return applied;
      }
      applied += *done;
      committing.reset();
    }
    more = page.activities == static_cast<size_t>(options_.batch);
    if (page.activities == 0) break;
    after_seq = page.last_seq;
    planner_.forget();  // the page committed: the next snapshot shows its runs
    for (auto& step : page.steps) planner_.carry(step.planned);
    submit(page);
    committing = std::move(page);
  }
  if (committing) applied += settle(*committing).value_or(0);
  planner_.forget();
  return applied;
}

JourneyEngine::Page JourneyEngine::plan_page(int64_t after_seq, bool first) {
  // One step per application, in the order their first activity came, planned from one
  // snapshot: the applications' runs are apart, so no step reads what another writes.
  const auto reads = store_.group_reads();
  std::vector<Activity> pending = store_.pending_activities(options_.batch, after_seq);
  if (first) metrics_.journey_activities_pending.store(static_cast<int64_t>(pending.size()));
  Page page;
  page.activities = pending.size();
  if (pending.empty()) return page;
  page.last_seq = pending.back().seq;
  std::vector<std::string> apps;
  std::map<std::string, std::vector<Activity>> by_app;
  for (auto& a : pending) {
    auto& list = by_app[a.app_id];
    if (list.empty()) apps.push_back(a.app_id);
    list.push_back(std::move(a));
  }
  for (const auto& app : apps) {
    page.steps.push_back({by_app[app].size(), planner_.apply(app, by_app[app]), {}, {}});
  }
  return page;
}

void JourneyEngine::submit(Page& page) {
  for (auto& step : page.steps) {
    auto promise = std::make_shared<std::promise<WriteResult>>();
    step.result = promise->get_future();
    write::JourneyStep& w = step.planned.write;
    step.messages = w.messages;
    store_.write(std::move(w), [promise](const WriteResult& r) { promise->set_value(r); });
  }
}

std::optional<size_t> JourneyEngine::settle(Page& page) {
  size_t applied = 0;
  bool refused = false;
  for (auto& step : page.steps) {
    // Every step was handed over: each answer is awaited, even after a refusal.
    const WriteResult result = step.result.get();
    if (refused || !committed(result, step.messages)) {
      refused = true;
      continue;
    }
    applied += step.activities;
    metrics_.journey_activities_applied.fetch_add(step.activities, std::memory_order_relaxed);
    metrics_.journey_runs_started.fetch_add(step.planned.started, std::memory_order_relaxed);
  }
  if (refused) return std::nullopt;
  return applied;
}

std::vector<std::string> JourneyEngine::skipped_journeys() const {
  std::vector<std::string> skip(paused_.begin(), paused_.end());
  for (const auto& [journey, used] : budget_used_) {
    if (used >= options_.resume_rate && catching_up_.count(journey)) skip.push_back(journey);
  }
  return skip;
}

size_t JourneyEngine::fire_due(int64_t now) {
  const std::vector<std::string> skip = skipped_journeys();
  auto reads = store_.group_reads();
  std::vector<JourneyRun> due = store_.due_runs(now, options_.batch, skip);
  const bool whole_page = due.size() == static_cast<size_t>(options_.batch);
  std::set<std::string> behind;  // catching up, with runs that were overdue at the resume
  std::vector<JourneyRun> fire;
  for (auto& run : due) {
    const auto it = catching_up_.find(run.journey_id);
    if (it != catching_up_.end() && run.wake_at < it->second) {
      behind.insert(run.journey_id);
      int& used = budget_used_[run.journey_id];
      if (used >= options_.resume_rate) continue;
      ++used;
    }
    fire.push_back(std::move(run));
  }
  if (!whole_page) {  // the page held every due run it could: a journey not in it is caught up
    std::erase_if(catching_up_, [&](const auto& entry) {
      return !behind.count(entry.first) &&
             std::find(skip.begin(), skip.end(), entry.first) == skip.end();
    });
  }
  if (fire.empty()) return 0;
  PlannedStep step = planner_.fire(fire, now);
  reads.reset();
  if (!commit(step)) return 0;
  const int64_t committed = now_unix_ms();
  metrics_.journey_timers_fired.fetch_add(step.timer_due_at.size(), std::memory_order_relaxed);
  for (const int64_t due_at : step.timer_due_at) {
    metrics_.journey_timer_lateness.observe(static_cast<double>(committed - due_at) / 1000.0);
  }
  return fire.size();
}

size_t JourneyEngine::release_held() {
  size_t moved = 0;
  for (auto it = maybe_held_.begin(); it != maybe_held_.end();) {
    const std::string& journey = *it;
    if (paused_.count(journey)) {
      ++it;
      continue;
    }
    int& used = budget_used_[journey];
    const int room = std::min(options_.batch, options_.resume_rate - used);
    if (room <= 0) {
      ++it;
      continue;
    }
    auto reads = store_.group_reads();
    const std::vector<JourneyRun> held = store_.held_runs(journey, room);
    if (held.empty()) {
      it = maybe_held_.erase(it);
      continue;
    }
    PlannedStep step = planner_.release(held);
    reads.reset();
    if (!commit(step)) return moved;
    used += static_cast<int>(held.size());
    moved += held.size();
    ++it;
  }
  return moved;
}

bool JourneyEngine::commit(PlannedStep& step) {
  write::JourneyStep& w = step.write;
  if (w.runs.empty() && w.messages.empty() && w.activities_done.empty()) return true;
  const std::vector<write::InsertMessage> messages = w.messages;
  return committed(store_.write_sync(std::move(w)), messages);
}

bool JourneyEngine::committed(const WriteResult& result,
                              const std::vector<write::InsertMessage>& messages) {
  if (result.status != WriteStatus::kOk) {
    spdlog::warn("journey engine: the store refused a step: {}", result.detail);
    return false;
  }
  for (size_t i = 0; i < messages.size() && i < result.parts.size(); ++i) {
    if (result.parts[i].status != WriteStatus::kOk) continue;  // sent by an earlier commit
    metrics_.journey_webhooks_sent.fetch_add(1, std::memory_order_relaxed);
    if (sink_) sink_(messages[i].message, *messages[i].endpoint_ids, result.parts[i]);
  }
  return true;
}

int64_t JourneyEngine::idle_wait_ms(int64_t now) {
  const std::vector<JourneyRun> next = store_.due_runs(INT64_MAX, 1, skipped_journeys());
  if (next.empty()) return options_.poll_ms;
  return std::clamp<int64_t>(next.front().wake_at - now, 1, options_.poll_ms);
}

}  // namespace hookd
