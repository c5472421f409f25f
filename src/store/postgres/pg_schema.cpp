#include "store/postgres/pg_schema.h"

#include <spdlog/spdlog.h>

#include <iterator>

namespace hookd::pg {

namespace {

// Tables as in the SQLite store (docs/storage-sqlite.md), with PostgreSQL's types: ids and
// documents are text, payloads bytea, times bigint unix ms, channel lists JSON text.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE applications (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE event_types (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE endpoints (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE sources (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE api_tokens (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE messages (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL, event_type TEXT NOT NULL, event_id TEXT,
  channels TEXT, payload BYTEA NOT NULL, created_at BIGINT NOT NULL);
CREATE UNIQUE INDEX messages_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX messages_app ON messages (app_id, id);
CREATE TABLE deliveries (
  msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  status INTEGER NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, PRIMARY KEY (msg_id, endpoint_id));
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at, msg_id, endpoint_id)
  WHERE status = 1;
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, msg_id);
CREATE INDEX deliveries_failed ON deliveries (app_id, msg_id) WHERE status = 2;
CREATE TABLE attempts (
  id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  url TEXT NOT NULL, status INTEGER NOT NULL, status_code INTEGER NOT NULL,
  response TEXT NOT NULL, duration_ms BIGINT NOT NULL, trigger_type INTEGER NOT NULL,
  error_class TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX attempts_msg ON attempts (msg_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);
CREATE INDEX attempts_app ON attempts (app_id, id);
CREATE TABLE expunged_messages (msg_id TEXT PRIMARY KEY);
CREATE TABLE inbound_events (
  id TEXT NOT NULL, source_id TEXT NOT NULL, event_key TEXT, customer_id TEXT, name TEXT,
  score BIGINT, ts TEXT, "localtime" TEXT, occurred_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL, revision BIGINT NOT NULL, content_type TEXT NOT NULL,
  payload BYTEA NOT NULL, message_id TEXT,
  PRIMARY KEY (source_id, id));
CREATE UNIQUE INDEX inbound_events_key ON inbound_events (source_id, event_key)
  WHERE event_key IS NOT NULL;
CREATE INDEX inbound_events_customer ON inbound_events (source_id, customer_id, occurred_at);
CREATE INDEX inbound_events_received ON inbound_events (received_at);
CREATE TABLE inbound_rejections (
  id TEXT PRIMARY KEY, source_id TEXT NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL,
  received_at BIGINT NOT NULL);
CREATE INDEX inbound_rejections_source ON inbound_rejections (source_id, id);
CREATE TABLE inbound_rejection_counts (
  source_id TEXT NOT NULL, reason TEXT NOT NULL, count BIGINT NOT NULL, last_at BIGINT NOT NULL,
  PRIMARY KEY (source_id, reason));
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY, at BIGINT NOT NULL, token_id TEXT NOT NULL, token_kind TEXT NOT NULL,
  app_id TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, path TEXT NOT NULL,
  object_id TEXT NOT NULL, changes TEXT NOT NULL, status INTEGER NOT NULL);
CREATE INDEX audit_log_app ON audit_log (app_id, id);
)sql";

// Cluster mode (docs/cluster.md). Claims: the node that holds a pending delivery and the token of
// its claim (0: unclaimed). A claim's lease is the delivery's next_attempt_at, so the partial index
// of pending deliveries by due time serves both the claim of due rows and the takeover of expired
// leases. Every claim and outcome rewrites a row: the deliveries table is vacuumed sooner than the
// default, and leaves room on its pages for the new row versions. The catalog's version, moved on
// by every transaction that changes it, tells nodes to reload their copy. Nodes beat in
// hookd_nodes; hookd_leases holds the cluster's singleton leases (the leader).
constexpr const char* kVersion2 = R"sql(
ALTER TABLE deliveries ADD COLUMN owner TEXT, ADD COLUMN claim BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE TABLE hookd_catalog (version BIGINT NOT NULL);
INSERT INTO hookd_catalog VALUES (0);
CREATE TABLE hookd_nodes (
  node_id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL);
CREATE TABLE hookd_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL);
)sql";

// In the order they were written; version N is kMigrations[N - 1].
// Journeys and the saved versions of their definitions; contacts (one row per attribute) and
// their activities in the order they arrived (seq); journey runs, indexed by deadline and by
// the activities they wait for.
constexpr const char* kVersion3 = R"sql(
CREATE TABLE journeys (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE journey_versions (
  journey_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
  created_at BIGINT NOT NULL, PRIMARY KEY (journey_id, version));
CREATE TABLE contacts (
  app_id TEXT NOT NULL, key TEXT NOT NULL, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, PRIMARY KEY (app_id, key));
CREATE TABLE contact_attributes (
  app_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (app_id, key, name));
CREATE TABLE activities (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, app_id TEXT NOT NULL, id TEXT NOT NULL,
  contact_key TEXT NOT NULL, name TEXT NOT NULL, params TEXT NOT NULL,
  occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, pending BOOLEAN NOT NULL DEFAULT true,
  UNIQUE (app_id, id));
CREATE INDEX activities_contact ON activities (app_id, contact_key, seq);
CREATE INDEX activities_pending ON activities (seq) WHERE pending;
CREATE TABLE journey_runs (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL, journey_id TEXT NOT NULL, version INTEGER NOT NULL,
  contact_key TEXT NOT NULL, correlation TEXT NOT NULL, node TEXT NOT NULL,
  waiting BOOLEAN NOT NULL, wake_at BIGINT NOT NULL, held BOOLEAN NOT NULL, state TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL) WITH (fillfactor = 80);
CREATE INDEX journey_runs_due ON journey_runs (wake_at) WHERE waiting;
CREATE INDEX journey_runs_contact ON journey_runs (journey_id, contact_key);
CREATE INDEX journey_runs_node ON journey_runs (journey_id, node, id) WHERE waiting;
CREATE INDEX journey_runs_held ON journey_runs (journey_id, id) WHERE held;
CREATE TABLE journey_webhooks (
  journey_id TEXT NOT NULL, msg_id TEXT NOT NULL, version INTEGER NOT NULL, node TEXT NOT NULL,
  PRIMARY KEY (journey_id, msg_id));
CREATE TABLE journey_waits (
  app_id TEXT NOT NULL, contact_key TEXT NOT NULL, activity TEXT NOT NULL, run_id TEXT NOT NULL,
  PRIMARY KEY (app_id, contact_key, activity, run_id));
)sql";

constexpr const char* kMigrations[] = {kVersion1, kVersion2, kVersion3};

// Any 64-bit number that other users of advisory locks on the database are unlikely to pick.
constexpr const char* kLockKey = "7308327117683729408";

}  // namespace

int latest_schema_version() { return static_cast<int>(std::size(kMigrations)); }

int migrate(Connection& db) {
  db.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
  struct Unlock {
    Connection& db;
    ~Unlock() {
      try {
        db.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
      } catch (const Error&) {
        // The session ended: its locks went with it.
      }
    }
  } unlock{db};
  db.exec(
      "CREATE TABLE IF NOT EXISTS hookd_migrations (version INTEGER PRIMARY KEY, applied_at "
      "TIMESTAMPTZ NOT NULL DEFAULT now())");
  int version = static_cast<int>(
      db.exec("SELECT coalesce(max(version), 0) FROM hookd_migrations").int64(0, 0));
  if (version > latest_schema_version()) {
    throw Error("", "the database's schema is version " + std::to_string(version) +
                        ", newer than this hookd knows (" +
                        std::to_string(latest_schema_version()) + "): upgrade hookd");
  }
  for (; version < latest_schema_version(); ++version) {
    Transaction transaction(db);
    db.exec(kMigrations[version]);
    db.exec("INSERT INTO hookd_migrations (version) VALUES ($1)",
            Params().add(int64_t{version + 1}));
    transaction.commit();
    spdlog::info("store: PostgreSQL schema migrated to version {}", version + 1);
  }
  return version;
}

}  // namespace hookd::pg
