// Wake-ups between nodes (docs/cluster.md): a transaction that leaves deliveries for other
// nodes to claim, or changes the catalog, sends a NOTIFY when it commits; every node LISTENs on a
// connection of its own and wakes its loader or its catalog follower. A hint only: polling
// still finds everything, also what was sent while a node was not listening.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include "store/postgres/store_impl.h"

namespace hookd::pg {

void PostgresStore::set_wakeups(std::function<void()> deliveries, std::function<void()> catalog) {
  std::lock_guard lock(wakeups_mu_);
  wake_deliveries_ = std::move(deliveries);
  wake_catalog_ = std::move(catalog);
}

void PostgresStore::start_listening() {
  listen_db_ = std::make_unique<Connection>(options_.url);
  listen_db_->exec("LISTEN hookd_deliveries; LISTEN hookd_catalog");
  listener_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-listen");
    listen_loop();
  });
}

bool PostgresStore::closing() const {
  std::lock_guard lock(mu_);
  return closing_;
}

void PostgresStore::listen_loop() {
  while (!closing()) {
    try {
      if (!listen_db_->ok()) {
        if (!listen_db_->reset()) {
          std::unique_lock lock(mu_);
          cv_beat_.wait_for(lock, std::chrono::milliseconds(options_.reconnect_interval_ms),
                            [&] { return closing_; });
          continue;
        }
        listen_db_->exec("LISTEN hookd_deliveries; LISTEN hookd_catalog");
        wake(true, true);  // catch up with what was sent meanwhile
      }
      bool deliveries = false, catalog = false;
      for (const auto& n : listen_db_->wait_for_notifications(250)) {
        if (n.payload == options_.node_id) continue;  // this node's own
        deliveries = deliveries || n.channel == "hookd_deliveries";
        catalog = catalog || n.channel == "hookd_catalog";
      }
      wake(deliveries, catalog);
    } catch (const Error& e) {
      spdlog::debug("cluster: listening for notifications failed: {}", e.what());
    }
  }
}

void PostgresStore::wake(bool deliveries, bool catalog) {
  if (!deliveries && !catalog) return;
  // Called under the lock, so that set_wakeups({}, {}) returns only once no call is running.
  std::lock_guard lock(wakeups_mu_);
  if (deliveries && wake_deliveries_) wake_deliveries_();
  if (catalog && wake_catalog_) wake_catalog_();
}

void PostgresStore::notify_before_commit() {
  const Params me = Params().add(options_.node_id);
  if (left_for_others_) writer_db_->send("SELECT pg_notify('hookd_deliveries', $1)", me);
  if (catalog_changed_) writer_db_->send("SELECT pg_notify('hookd_catalog', $1)", me);
  left_for_others_ = false;
}

}  // namespace hookd::pg
