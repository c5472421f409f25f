#include "delivery/dispatcher.h"

#include <functional>

#include "delivery/worker.h"

namespace hookd {

Dispatcher::Dispatcher(DispatcherOptions options, const Catalog& catalog, Store& store,
                       Metrics& metrics)
    : options_(std::move(options)), store_(store) {
  const int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<DeliveryWorker>(options_, catalog, store, metrics));
  }
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  for (auto& w : workers_) w->start();
}

void Dispatcher::stop() {
  for (auto& w : workers_) w->stop();
}

void Dispatcher::enqueue(std::vector<DeliveryJob> jobs) {
  if (workers_.size() == 1) {
    workers_.front()->post(std::move(jobs));
    return;
  }
  std::vector<std::vector<DeliveryJob>> split(workers_.size());
  for (auto& job : jobs) {
    split[std::hash<std::string>{}(job.endpoint_id) % workers_.size()].push_back(std::move(job));
  }
  for (size_t i = 0; i < split.size(); ++i) {
    if (!split[i].empty()) workers_[i]->post(std::move(split[i]));
  }
}

void Dispatcher::recover_pending(const std::string& endpoint_id) {
  store_.scan_pending(endpoint_id, [this](std::vector<PendingDelivery>&& batch) {
    std::vector<DeliveryJob> jobs;
    jobs.reserve(batch.size());
    for (auto& p : batch) {
      DeliveryJob job;
      job.message = std::move(p.message);
      job.endpoint_id = std::move(p.delivery.endpoint_id);
      job.attempts_made = p.delivery.attempts;
      job.due_at = p.delivery.next_attempt_at;
      jobs.push_back(std::move(job));
    }
    enqueue(std::move(jobs));
  });
}

}  // namespace hookd
