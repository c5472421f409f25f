#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>

#include "alerts/alerts.h"
#include "catalog/catalog.h"
#include "catalog/catalog_writer.h"
#include "delivery/observer.h"
#include "store/store.h"

// Failure as a first-class state (docs/failures.md): per-endpoint health, auto-disable, email
// alerts, operational webhooks and retention, on one thread of their own ("hookd-health"), so
// the delivery threads only ever queue an event.
namespace hookd {

class Dispatcher;  // src/delivery/dispatcher.h

struct HealthOptions {
  int disable_after_exhausted = 5;                        // 0: off
  int64_t disable_after_failing_for_ms = 5 * 86'400'000;  // 0: off
  std::string operational_app;                            // id or uid; empty: off
  int retention_days = 30;                                // 0: keep everything
  int64_t retention_interval_ms = 60'000;
};

// What GET .../endpoint/{id}/health shows.
struct EndpointHealth {
  int consecutive_failures = 0;
  int consecutive_exhausted = 0;
  int64_t failing_since = 0;  // unix ms of the first failure since the last success; 0: none
  int last_status = 0;
  std::string last_error;
  CircuitState circuit = CircuitState::kClosed;
  int64_t circuit_open_until = 0;  // unix ms
};

class HealthMonitor final : public DeliveryObserver {
 public:
  HealthMonitor(HealthOptions options, Catalog& catalog, Store& store, CatalogWriter& writer,
                alerts::Alerter* alerter);
  ~HealthMonitor() override;
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Operational events become messages handed to this dispatcher. Call before start().
  void set_dispatcher(Dispatcher* dispatcher) { dispatcher_ = dispatcher; }
  // Creates the operational event types when needed and starts the thread.
  void start();
  void stop();

  // DeliveryObserver: called on delivery threads; queue and return.
  void attempt_finished(AttemptOutcome&& outcome) override;
  void circuit_changed(const std::string& endpoint_id, CircuitState state,
                       int64_t open_until_ms) override;

  // Called by the API after an owner enabled an endpoint: its failure counts start over.
  void endpoint_enabled(const Endpoint& endpoint);

  // Called by the API after an endpoint was created, updated or deleted: publishes
  // endpoint.created / endpoint.updated / endpoint.deleted (`event_type`).
  void endpoint_changed(const char* event_type, const Endpoint& endpoint);

  EndpointHealth health(const std::string& endpoint_id) const;

  // One retention pass (also run periodically by the thread); returns the rows deleted.
  int64_t prune(int64_t now_ms);

 private:
  struct CircuitEvent {
    std::string endpoint_id;
    CircuitState state;
    int64_t open_until_ms;
  };
  struct EnabledEvent {
    Endpoint endpoint;
  };
  struct ChangedEvent {
    const char* event_type;
    std::string app_id;
    std::string endpoint_id;
    std::string endpoint_uid;
  };
  using Event = std::variant<AttemptOutcome, CircuitEvent, EnabledEvent, ChangedEvent>;

  void run();
  void handle(AttemptOutcome& outcome);
  void disable(const std::string& endpoint_id, const std::string& reason, int64_t fail_since);
  void alert(const alerts::AlertEvent& event, const Endpoint& endpoint);
  // Publishes an operational event as a message of the operational application.
  // `data_json` is the serialised "data" object.
  void publish(const std::string& event_type, const std::string& about_app_id,
               const std::string& data_json);
  std::string attempt_data(const AttemptOutcome& outcome) const;
  void publish_changed(const ChangedEvent& event);

  const HealthOptions options_;
  Catalog& catalog_;
  Store& store_;
  CatalogWriter& writer_;
  alerts::Alerter* const alerter_;  // may be null
  Dispatcher* dispatcher_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<Event> events_;
  std::unordered_map<std::string, EndpointHealth> health_;
  bool stopping_ = false;

  std::thread thread_;
};

}  // namespace hookd
