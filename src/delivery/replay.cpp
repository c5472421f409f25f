#include "delivery/replay.h"

#include "delivery/dispatcher.h"

namespace hookd {

std::vector<DeliveryJob> replay_jobs(Store& store, const Catalog& catalog,
                                     const std::string& app_id, const std::string& endpoint_id,
                                     const std::vector<std::string>& event_types, int64_t since,
                                     int64_t until, int64_t now) {
  auto rows = store.failed_deliveries(app_id, endpoint_id, event_types, since, until, kMaxReplay);
  std::vector<DeliveryJob> jobs;
  jobs.reserve(rows.size());
  for (auto& row : rows) {
    const EndpointPtr ep = catalog.endpoint_by_id(row.delivery.endpoint_id);
    if (!ep || ep->disabled) continue;
    DeliveryJob job{std::move(row.message), std::move(row.delivery.endpoint_id),
                    row.delivery.attempts, now, TriggerType::kManual};
    job.replay = true;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

size_t replay_failed(Store& store, const Catalog& catalog, Dispatcher& dispatcher,
                     const std::string& app_id, const std::string& endpoint_id,
                     const std::vector<std::string>& event_types, int64_t since, int64_t until,
                     int64_t now) {
  auto jobs = replay_jobs(store, catalog, app_id, endpoint_id, event_types, since, until, now);
  const size_t count = jobs.size();
  dispatcher.enqueue(std::move(jobs));
  return count;
}

}  // namespace hookd
