#include "delivery/dispatcher.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>

#include "common/time.h"
#include "delivery/worker.h"
#include "health/service_health.h"

namespace hookd {

namespace {
constexpr int kLoaderPage = 1'000;
}  // namespace

Dispatcher::Dispatcher(DispatcherOptions options, const Catalog& catalog, Store& store,
                       Metrics& metrics, DeliveryObserver* observer)
    : options_(std::move(options)), catalog_(catalog), store_(store), metrics_(metrics) {
  const int threads = std::max(1, options_.threads);
  for (int i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<DeliveryWorker>(
        options_, catalog, store, metrics, observer, [this] { wake_loader(); }, &live_feed_));
  }
  std::vector<DeliveryWorker*> all;
  for (auto& w : workers_) all.push_back(w.get());
  for (auto& w : workers_) w->set_peers(all);
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  for (auto& w : workers_) w->start();
  loader_ = std::thread([this] { loader_loop(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(loader_mu_);
    stopping_ = true;
  }
  loader_cv_.notify_all();
  if (loader_.joinable()) loader_.join();
  for (auto& w : workers_) w->request_stop();
  for (auto& w : workers_) w->stop();
}

void Dispatcher::wake_loader() {
  {
    std::lock_guard lock(loader_mu_);
    loader_wanted_ = true;
  }
  loader_cv_.notify_all();
}

size_t Dispatcher::backlog() const {
  size_t total = 0;
  for (const auto& w : workers_) total += w->backlog();
  return total;
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

void Dispatcher::enqueue_new(const MessagePtr& message,
                             const std::vector<std::string>& endpoint_ids,
                             const std::vector<bool>& claimed) {
  if (endpoint_ids.empty()) return;
  std::vector<DeliveryJob> jobs;
  jobs.reserve(endpoint_ids.size());
  // In cluster mode the store inserted the deliveries of the endpoints this node owns claimed by
  // it (Store::live_claim); the others are their owners' to claim.
  const uint64_t claim = store_.live_claim();
  const int64_t lease_until = claim != 0 ? message->created_at + store_.claim_lease_ms() : 0;
  for (size_t i = 0; i < endpoint_ids.size(); ++i) {
    if (i < claimed.size() && !claimed[i]) continue;
    DeliveryJob job{message, endpoint_ids[i], 0, message->created_at};
    job.claim = claim;
    job.lease_until = lease_until;
    jobs.push_back(std::move(job));
  }
  enqueue(std::move(jobs));
}

std::vector<DeliveryJob> Dispatcher::jobs_of(std::vector<PendingDelivery>& page, uint64_t snapshot,
                                             uint64_t claim, int64_t lease_until) {
  std::vector<DeliveryJob> jobs;
  jobs.reserve(page.size());
  write::ReleaseClaims unclaimed;
  for (auto& p : page) {
    const EndpointPtr ep = catalog_.endpoint_by_id(p.delivery.endpoint_id);
    if (!ep || ep->disabled) {
      // Kept in the store until the endpoint is enabled (unclaimed when it was claimed).
      if (claim != 0) {
        unclaimed.deliveries.push_back(
            {p.delivery.msg_id, p.delivery.endpoint_id, claim, p.delivery.next_attempt_at});
      }
      continue;
    }
    jobs.push_back({std::move(p.message), std::move(p.delivery.endpoint_id), p.delivery.attempts,
                    p.delivery.next_attempt_at, TriggerType::kScheduled, snapshot});
    jobs.back().claim = claim;
    jobs.back().lease_until = lease_until;
  }
  if (!unclaimed.deliveries.empty()) store_.write(std::move(unclaimed), nullptr);
  return jobs;
}

bool Dispatcher::pace() {
  std::unique_lock lock(loader_mu_);
  while (!stopping_ && backlog() > options_.backlog_high_water) {
    loader_cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
  return !stopping_;
}

std::vector<std::string> Dispatcher::endpoints_to_skip() const {
  std::vector<std::string> skip;
  for (const auto& w : workers_) w->stalled_endpoints(skip);
  return skip;
}

size_t Dispatcher::claim_due(uint64_t& snapshot) {
  // Disabled endpoints' deliveries wait unclaimed until the endpoint is enabled again.
  std::vector<std::string> skip = catalog_.disabled_endpoint_ids();
  size_t loaded = 0;
  for (;;) {
    snapshot = store_.commit_sequence() + 1;
    std::vector<std::string> stalled = endpoints_to_skip();
    stalled.insert(stalled.end(), skip.begin(), skip.end());
    const auto started = std::chrono::steady_clock::now();
    ClaimedPage page = store_.claim_due(now_unix_ms(), kLoaderPage, stalled);
    metrics_.claim_duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    metrics_.deliveries_claimed.fetch_add(page.deliveries.size(), std::memory_order_relaxed);
    if (page.deliveries.empty()) break;
    const bool more = static_cast<int>(page.deliveries.size()) == kLoaderPage;
    auto jobs = jobs_of(page.deliveries, snapshot, page.claim, page.lease_until);
    loaded += jobs.size();
    enqueue(std::move(jobs));
    if (!more || !pace()) break;
  }
  return loaded;
}

size_t Dispatcher::load_due() {
  metrics_.loader_passes.fetch_add(1, std::memory_order_relaxed);
  uint64_t snapshot = 0;
  const size_t loaded = store_.shared() ? claim_due(snapshot) : read_due(snapshot);
  // A watermark per delivery thread: nothing read before it is on its way any more, so the
  // threads can forget older settlements even when this pass had nothing for them.
  for (auto& w : workers_) {
    DeliveryJob watermark;
    watermark.snapshot_seq = snapshot;
    w->post({std::move(watermark)});
  }
  return loaded;
}

size_t Dispatcher::read_due(uint64_t& snapshot) {
  const int64_t due_before = now_unix_ms();
  PendingCursor cursor;
  size_t loaded = 0;
  for (;;) {
    snapshot = store_.commit_sequence() + 1;
    auto page = store_.pending_page(due_before, cursor, kLoaderPage, endpoints_to_skip());
    if (page.empty()) break;
    const auto& last = page.back().delivery;
    cursor = {last.next_attempt_at, last.msg_id, last.endpoint_id};
    const bool more = static_cast<int>(page.size()) == kLoaderPage;
    auto jobs = jobs_of(page, snapshot, 0, 0);
    loaded += jobs.size();
    enqueue(std::move(jobs));
    // Pace the pass by what the workers can take, so memory holds a window, not the backlog.
    if (!more || !pace()) break;
  }
  return loaded;
}

size_t Dispatcher::load_once() {
  try {
    const size_t loaded = load_due();
    if (service_health_) service_health_->set_ok("loader");
    return loaded;
  } catch (const std::exception& e) {
    spdlog::error("loader: reading pending deliveries failed: {}", e.what());
    if (service_health_) service_health_->set_failing("loader", e.what());
    return 0;
  }
}

void Dispatcher::loader_loop() {
  pthread_setname_np(pthread_self(), "hookd-loader");
  bool first = true;
  for (;;) {
    const int64_t started = now_steady_ms();
    size_t loaded = 0;
    // Paused while the store refuses writes: the deliveries it would read again are those
    // whose outcomes could not be recorded (docs/failures.md, "When the store fails").
    if (store_.writable()) loaded = load_once();
    if (first) {
      spdlog::info("recovery: {} pending deliveries handed to the dispatcher in {} ms", loaded,
                   now_steady_ms() - started);
      first = false;
    }
    std::unique_lock lock(loader_mu_);
    loader_cv_.wait_for(lock, std::chrono::milliseconds(options_.rescan_interval_ms),
                        [&] { return stopping_ || loader_wanted_; });
    if (stopping_) return;
    loader_wanted_ = false;
  }
}

}  // namespace hookd
