#include "health/monitor.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "common/time.h"
#include "common/url.h"
#include "delivery/dispatcher.h"

namespace hookd {

namespace {

using nlohmann::json;

constexpr const char* kOperationalTypes[][2] = {
    {"endpoint.disabled", "An endpoint was disabled by hookd"},
    {"endpoint.enabled", "An endpoint was enabled again"},
    {"endpoint.created", "An endpoint was created"},
    {"endpoint.updated", "An endpoint was updated"},
    {"endpoint.deleted", "An endpoint was deleted"},
    {"message.attempt.exhausted", "A delivery used up its retry schedule"},
    {"message.attempt.failing", "A delivery failed and will be retried"},
    {"message.attempt.recovered", "A delivery succeeded after failed attempts"},
};

alerts::Frequency frequency_of(const std::string& name) {
  if (name == "hourly") return alerts::Frequency::kHourly;
  if (name == "daily") return alerts::Frequency::kDaily;
  return alerts::Frequency::kImmediate;
}

}  // namespace

HealthMonitor::HealthMonitor(HealthOptions options, Catalog& catalog, Store& store,
                             CatalogWriter& writer, alerts::Alerter* alerter)
    : options_(std::move(options)),
      catalog_(catalog),
      store_(store),
      writer_(writer),
      alerter_(alerter) {}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::start() {
  if (!options_.operational_app.empty()) {
    std::lock_guard lock(writer_.mutex());
    for (const auto& [name, description] : kOperationalTypes) {
      if (catalog_.find_event_type(name)) continue;
      EventType et;
      et.name = name;
      et.description = description;
      et.created_at = et.updated_at = now_unix_ms();
      writer_.put(et);  // refused by the store: the type is missing until the next start
    }
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-health");
    run();
  });
}

void HealthMonitor::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::attempt_finished(AttemptOutcome&& outcome) {
  {
    std::lock_guard lock(mu_);
    if (events_.size() > 100'000) return;  // a flood of failures: counts are what matter
    events_.emplace_back(std::move(outcome));
  }
  cv_.notify_one();
}

void HealthMonitor::circuit_changed(const std::string& endpoint_id, CircuitState state,
                                    int64_t open_until_ms) {
  {
    std::lock_guard lock(mu_);
    events_.emplace_back(CircuitEvent{endpoint_id, state, open_until_ms});
  }
  cv_.notify_one();
}

void HealthMonitor::endpoint_enabled(const Endpoint& endpoint) {
  {
    std::lock_guard lock(mu_);
    events_.emplace_back(EnabledEvent{endpoint});
  }
  cv_.notify_one();
}

void HealthMonitor::endpoint_changed(const char* event_type, const Endpoint& endpoint) {
  {
    std::lock_guard lock(mu_);
    events_.emplace_back(ChangedEvent{event_type, endpoint.app_id, endpoint.id, endpoint.uid});
  }
  cv_.notify_one();
}

void HealthMonitor::publish_changed(const ChangedEvent& e) {
  const auto app = catalog_.find_app(e.app_id);
  const auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  publish(e.event_type, e.app_id,
          json{{"appId", e.app_id},
               {"appUid", app ? or_null(app->uid) : json(nullptr)},
               {"endpointId", e.endpoint_id},
               {"endpointUid", or_null(e.endpoint_uid)}}
              .dump());
}

EndpointHealth HealthMonitor::health(const std::string& endpoint_id) const {
  std::lock_guard lock(mu_);
  auto it = health_.find(endpoint_id);
  return it == health_.end() ? EndpointHealth{} : it->second;
}

void HealthMonitor::run() {
  int64_t next_prune = now_steady_ms() + std::min<int64_t>(options_.retention_interval_ms, 10'000);
  for (;;) {
    std::deque<Event> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(500),
                   [&] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      batch.swap(events_);
    }
    for (auto& event : batch) {
      try {
        if (auto* outcome = std::get_if<AttemptOutcome>(&event)) {
          handle(*outcome);
        } else if (auto* circuit = std::get_if<CircuitEvent>(&event)) {
          std::lock_guard lock(mu_);
          auto& h = health_[circuit->endpoint_id];
          h.circuit = circuit->state;
          h.circuit_open_until = circuit->open_until_ms;
        } else if (auto* changed = std::get_if<ChangedEvent>(&event)) {
          publish_changed(*changed);
        } else if (auto* enabled = std::get_if<EnabledEvent>(&event)) {
          {
            std::lock_guard lock(mu_);
            health_.erase(enabled->endpoint.id);
          }
          const Endpoint& ep = enabled->endpoint;
          publish("endpoint.enabled", ep.app_id,
                  json{{"appId", ep.app_id},
                       {"endpointId", ep.id},
                       {"endpointUid", ep.uid.empty() ? json(nullptr) : json(ep.uid)}}
                      .dump());
        }
      } catch (const std::exception& e) {
        spdlog::error("health: {}", e.what());
      }
    }
    // In cluster mode one node, the leader, prunes for all.
    if (options_.retention_days > 0 && now_steady_ms() >= next_prune && store_.leader()) {
      try {
        prune(now_unix_ms());
      } catch (const std::exception& e) {
        spdlog::error("retention: {}", e.what());
      }
      next_prune = now_steady_ms() + options_.retention_interval_ms;
    }
  }
}

void HealthMonitor::handle(AttemptOutcome& o) {
  const EndpointPtr endpoint = catalog_.endpoint_by_id(o.endpoint_id);
  if (!endpoint) return;
  std::optional<std::string> disable_reason;
  int64_t fail_since = 0;
  bool recovered = false;
  {
    std::lock_guard lock(mu_);
    EndpointHealth& h = health_[o.endpoint_id];
    h.last_status = o.status_code;
    h.last_error = o.error_class;
    if (o.success) {
      recovered = h.consecutive_failures > 0;
      h.consecutive_failures = 0;
      h.consecutive_exhausted = 0;
      h.failing_since = 0;
    } else {
      ++h.consecutive_failures;
      if (h.failing_since == 0) h.failing_since = o.at_ms;
      if (o.exhausted) ++h.consecutive_exhausted;
      fail_since = h.failing_since;
      if (o.gone) {
        disable_reason = "gone";
      } else if (o.exhausted && options_.disable_after_exhausted > 0 &&
                 h.consecutive_exhausted >= options_.disable_after_exhausted) {
        disable_reason = "exhausted";
      } else if (o.exhausted && options_.disable_after_failing_for_ms > 0 &&
                 o.at_ms - h.failing_since >= options_.disable_after_failing_for_ms) {
        disable_reason = "failing";
      }
    }
  }

  alerts::AlertEvent event;
  event.app_id = o.app_id;
  event.endpoint_id = o.endpoint_id;
  event.endpoint_url = endpoint->url;
  event.at_ms = o.at_ms;
  if (o.success) {
    if (recovered) {
      event.kind = alerts::AlertKind::kRecovered;
      alert(event, *endpoint);
    }
    if (o.attempts_made > 1 || recovered)
      publish("message.attempt.recovered", o.app_id, attempt_data(o));
  } else {
    event.kind = alerts::AlertKind::kFailure;
    event.status_code = o.status_code;
    event.error = o.error_class;
    event.msg_id = o.message ? o.message->id : "";
    alert(event, *endpoint);
    if (o.exhausted) {
      publish("message.attempt.exhausted", o.app_id, attempt_data(o));
    } else if (o.will_retry && o.attempts_made == 1) {
      publish("message.attempt.failing", o.app_id, attempt_data(o));
    }
  }
  if (disable_reason) disable(o.endpoint_id, *disable_reason, fail_since);
}

void HealthMonitor::disable(const std::string& endpoint_id, const std::string& reason,
                            int64_t fail_since) {
  Endpoint updated;
  {
    std::lock_guard lock(writer_.mutex());
    const EndpointPtr current = catalog_.endpoint_by_id(endpoint_id);
    if (!current || current->disabled) return;
    updated = *current;
    updated.disabled = true;
    updated.disabled_reason = reason;
    updated.disabled_at = updated.updated_at = now_unix_ms();
    const WriteResult result = writer_.put(updated);
    if (result.status != WriteStatus::kOk) {
      spdlog::error("health: could not disable endpoint {}: {}", endpoint_id, result.detail);
      return;
    }
  }
  spdlog::warn("endpoint {} ({}) disabled: {}", endpoint_id, redact_url(updated.url), reason);
  alerts::AlertEvent event;
  event.kind = alerts::AlertKind::kDisabled;
  event.app_id = updated.app_id;
  event.endpoint_id = endpoint_id;
  event.endpoint_url = updated.url;
  event.at_ms = updated.disabled_at;
  event.reason = reason;
  alert(event, updated);
  publish("endpoint.disabled", updated.app_id,
          json{{"appId", updated.app_id},
               {"endpointId", endpoint_id},
               {"endpointUid", updated.uid.empty() ? json(nullptr) : json(updated.uid)},
               {"reason", reason},
               {"failSince", fail_since ? json(format_rfc3339(fail_since)) : json(nullptr)},
               {"trigger", "automatic"}}
              .dump());
}

void HealthMonitor::alert(const alerts::AlertEvent& event, const Endpoint& endpoint) {
  if (!alerter_ || !alerter_->enabled()) return;
  const auto app = catalog_.find_app(endpoint.app_id);
  alerts::Recipients recipients;
  recipients.emails = endpoint.alerts.emails;
  std::string frequency = endpoint.alerts.frequency;
  if (app) {
    for (const auto& email : app->alerts.emails) {
      if (std::find(recipients.emails.begin(), recipients.emails.end(), email) ==
          recipients.emails.end()) {
        recipients.emails.push_back(email);
      }
    }
    if (frequency.empty()) frequency = app->alerts.frequency;
  }
  if (recipients.emails.empty()) return;
  recipients.frequency = frequency_of(frequency);
  alerts::AlertEvent with_app = event;
  if (app) with_app.app_name = app->name;
  alerter_->notify(with_app, recipients);
}

std::string HealthMonitor::attempt_data(const AttemptOutcome& o) const {
  const Message* m = o.message.get();
  return json{{"appId", o.app_id},
              {"msgId", m ? json(m->id) : json(nullptr)},
              {"msgEventId", m && !m->event_id.empty() ? json(m->event_id) : json(nullptr)},
              {"endpointId", o.endpoint_id},
              {"lastAttempt",
               {{"id", o.attempt_id},
                {"timestamp", format_rfc3339(o.at_ms)},
                {"responseStatusCode", o.status_code}}}}
      .dump();
}

void HealthMonitor::publish(const std::string& event_type, const std::string& about_app_id,
                            const std::string& data_json) {
  if (options_.operational_app.empty()) return;
  const auto op_app = catalog_.find_app(options_.operational_app);
  if (!op_app || op_app->id == about_app_id) return;  // not set up yet, or about itself
  auto message = std::make_shared<Message>();
  message->id = new_id("msg_");
  message->app_id = op_app->id;
  message->event_type = event_type;
  message->created_at = now_unix_ms();
  message->payload = "{\"type\":" + json(event_type).dump() +
                     ",\"timestamp\":" + json(format_rfc3339(message->created_at)).dump() +
                     ",\"data\":" + data_json + "}";
  MessageRoute route = catalog_.route_message(op_app->id, event_type, {}, message->payload);
  if (route.status != MessageRoute::Status::kOk) return;
  auto endpoint_ids =
      std::make_shared<const std::vector<std::string>>(std::move(route.endpoint_ids));
  MessagePtr shared = message;
  store_.write(write::InsertMessage{shared, endpoint_ids},
               [this, shared, endpoint_ids](const WriteResult& result) {
                 if (result.status == WriteStatus::kOk && dispatcher_) {
                   dispatcher_->enqueue_new(shared, *endpoint_ids, result.claimed);
                 }
               });
}

int64_t HealthMonitor::prune(int64_t now_ms) {
  if (options_.retention_days <= 0) return 0;
  const int64_t cutoff = now_ms - int64_t{options_.retention_days} * 86'400'000;
  constexpr int kBatch = 1'000;
  int64_t total = 0;
  for (int round = 0; round < 1'000; ++round) {
    const WriteResult result = store_.write_sync(write::Prune{cutoff, kBatch});
    if (result.status != WriteStatus::kOk) break;
    total += result.affected;
    if (result.affected < kBatch) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let other writes in
  }
  if (total > 0)
    spdlog::info("retention: deleted {} rows older than {}", total, format_rfc3339(cutoff));
  return total;
}

}  // namespace hookd
