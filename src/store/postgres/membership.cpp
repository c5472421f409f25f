// Cluster membership of a delivering node (docs/cluster.md): the heartbeat in hookd_nodes, the
// leader lease in hookd_leases, on a thread and connection of their own, and which live node
// owns which endpoint.
#include <openssl/evp.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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
    // The nodes that beat in the last three intervals: one that missed them is gone.
    const Result live =
        beat_db_->exec("SELECT node_id FROM hookd_nodes WHERE heartbeat_at >= $1 ORDER BY node_id",
                       Params().add(now - kLiveBeats * options_.heartbeat_ms));
    auto view = std::make_shared<std::vector<std::string>>();
    for (int i = 0; i < live.rows(); ++i) view->push_back(live.text(i, 0));
    const bool was_leader = leader();
    leader_until_.store(lead.rows() > 0 ? until : 0, std::memory_order_release);
    set_live_view(std::move(view));
    if (leader() != was_leader) {
      spdlog::info("cluster: this node {} the leader", leader() ? "is now" : "is no longer");
    }
  } catch (const Error& e) {
    spdlog::warn("cluster: heartbeat failed: {}", e.what());
  }
}

void PostgresStore::set_live_view(std::shared_ptr<std::vector<std::string>> view) {
  // This node counts itself in even when its own beat is not in the table yet.
  if (std::find(view->begin(), view->end(), options_.node_id) == view->end()) {
    view->insert(std::lower_bound(view->begin(), view->end(), options_.node_id), options_.node_id);
  }
  live_nodes_.store(static_cast<int>(view->size()), std::memory_order_release);
  std::lock_guard lock(view_mu_);
  if (*view != *live_view_) spdlog::info("cluster: {} delivering node(s) alive", view->size());
  live_view_ = std::move(view);
}

std::shared_ptr<const std::vector<std::string>> PostgresStore::live_view() const {
  std::lock_guard lock(view_mu_);
  return live_view_;
}

bool PostgresStore::owns(const std::vector<std::string>& live,
                         const std::string& endpoint_id) const {
  return live.size() <= 1 || owner_of(live, endpoint_id) == options_.node_id;
}

namespace {

// The raw SHA-256 of `text` (32 bytes), compared bytewise as PostgreSQL compares bytea.
std::string sha256(const std::string& text) {
  std::string digest(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
             EVP_sha256(), nullptr);
  digest.resize(size);
  return digest;
}

}  // namespace

std::string owner_of(const std::vector<std::string>& live, const std::string& endpoint_id) {
  // Rendezvous hashing: the node with the highest hash of (node, endpoint) owns the endpoint,
  // so a node that leaves or joins moves only its own share. The claim statement ranks nodes
  // the same way in SQL (claims.cpp): SHA-256 of "<node> <endpoint>", compared bytewise.
  std::string best, best_hash;
  for (const auto& node : live) {
    std::string hash = sha256(node + " " + endpoint_id);
    if (best.empty() || hash > best_hash) {
      best = node;
      best_hash = std::move(hash);
    }
  }
  return best;
}

bool PostgresStore::leader() const {
  return leader_until_.load(std::memory_order_acquire) > now_unix_ms();
}

}  // namespace hookd::pg
