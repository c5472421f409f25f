// Cluster membership of a delivering node (docs/cluster.md): the heartbeat in hookd_nodes and
// the leader lease in hookd_leases, on a thread and connection of their own.
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "common/time.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {

void PostgresStore::start_membership() {
  if (!options_.claim_new_deliveries || options_.node_id.empty()) return;
  beat_db_ = std::make_unique<Connection>(options_.url);
  beat_once();  // a node that starts as the only one leads at once
  beater_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-cluster");
    for (;;) {
      {
        std::unique_lock lock(mu_);
        if (cv_beat_.wait_for(lock, std::chrono::milliseconds(options_.heartbeat_ms),
                              [&] { return closing_; })) {
          return;
        }
      }
      beat_once();
    }
  });
}

void PostgresStore::beat_once() {
  const int64_t now = now_unix_ms();
  try {
    if (!beat_db_->ok() && !beat_db_->reset()) return;
    beat_db_->exec(
        "INSERT INTO hookd_nodes (node_id, started_at, heartbeat_at) VALUES ($1, $2, $2) ON "
        "CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        Params().add(options_.node_id).add(now));
    // Taken when free or expired, kept by its holder; lost by a node that cannot renew it.
    const int64_t until = now + kLeaderLeaseBeats * options_.heartbeat_ms;
    const Result lead = beat_db_->exec(
        "INSERT INTO hookd_leases (name, holder, until) VALUES ('leader', $1, $2) ON CONFLICT "
        "(name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE "
        "hookd_leases.holder = excluded.holder OR hookd_leases.until < $3 RETURNING holder",
        Params().add(options_.node_id).add(until).add(now));
    // Counted by the beats of the last three intervals: a node that missed them is gone.
    const Result live = beat_db_->exec(
        "SELECT count(*) FROM hookd_nodes WHERE heartbeat_at >= $1",
        Params().add(now - kLiveBeats * options_.heartbeat_ms));
    const bool was_leader = leader();
    leader_until_.store(lead.rows() > 0 ? until : 0, std::memory_order_release);
    live_nodes_.store(static_cast<int>(live.int64(0, 0)), std::memory_order_release);
    if (leader() != was_leader) {
      spdlog::info("cluster: this node {} the leader", leader() ? "is now" : "is no longer");
    }
  } catch (const Error& e) {
    spdlog::warn("cluster: heartbeat failed: {}", e.what());
  }
}

bool PostgresStore::leader() const {
  return leader_until_.load(std::memory_order_acquire) > now_unix_ms();
}

}  // namespace hookd::pg
