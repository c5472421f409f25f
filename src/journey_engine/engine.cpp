#include "journey_engine/engine.h"

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <algorithm>
#include <chrono>

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

size_t JourneyEngine::apply_pending() {
  std::vector<Activity> page = store_.pending_activities(options_.batch);
  metrics_.journey_activities_pending.store(static_cast<int64_t>(page.size()));
  if (page.empty()) return 0;
  // One step per application, in the order their first activity came.
  std::vector<std::string> apps;
  std::map<std::string, std::vector<Activity>> by_app;
  for (auto& a : page) {
    auto& list = by_app[a.app_id];
    if (list.empty()) apps.push_back(a.app_id);
    list.push_back(std::move(a));
  }
  size_t applied = 0;
  for (const auto& app : apps) {
    PlannedStep step = planner_.apply(app, by_app[app]);
    if (!commit(step)) break;
    applied += by_app[app].size();
    metrics_.journey_activities_applied.fetch_add(by_app[app].size(), std::memory_order_relaxed);
    metrics_.journey_runs_started.fetch_add(step.started, std::memory_order_relaxed);
  }
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
    const std::vector<JourneyRun> held = store_.held_runs(journey, room);
    if (held.empty()) {
      it = maybe_held_.erase(it);
      continue;
    }
    PlannedStep step = planner_.release(held);
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
  const WriteResult result = store_.write_sync(std::move(w));
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
