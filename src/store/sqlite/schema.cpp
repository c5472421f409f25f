#include "store/sqlite/schema.h"

#include <spdlog/spdlog.h>

#include <string>

#include "store/inbound_rows.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS applications (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_types (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
-- Message ids are unique across applications and sort by time, so their index grows at its
-- end; eventIds are indexed only where present. Fewer indexes, fewer B-tree writes per message.
CREATE TABLE IF NOT EXISTS messages (
  id TEXT NOT NULL, app_id TEXT NOT NULL, event_type TEXT NOT NULL, event_id TEXT,
  channels TEXT, payload BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS messages_id ON messages (id);
CREATE UNIQUE INDEX IF NOT EXISTS messages_event_id ON messages (app_id, event_id)
  WHERE event_id IS NOT NULL;
-- An application's messages by id, for listing. Inserted one by one, with many applications
-- each insert would land on a page of its own and every commit would write them all to the WAL;
-- so new messages are added in batches sorted by application (store/sqlite/message_index.h),
-- and until then listing reads them from the messages whose rowid is above message_apps_rowid.
CREATE TABLE IF NOT EXISTS message_apps (
  app_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (app_id, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('message_apps_rowid', 0);
CREATE TABLE IF NOT EXISTS deliveries (
  msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  status INTEGER NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (msg_id, endpoint_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (next_attempt_at) WHERE status = 1;
-- No index by endpoint: with many endpoints its inserts land on a different page each, and
-- every page a commit touches is written to the WAL. Deleting an endpoint deletes its pending
-- deliveries through deliveries_pending; its history stays until retention prunes it.
DROP INDEX IF EXISTS deliveries_endpoint;
CREATE TABLE IF NOT EXISTS attempts (
  id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
  url TEXT NOT NULL, status INTEGER NOT NULL, status_code INTEGER NOT NULL, response TEXT NOT NULL,
  duration_ms INTEGER NOT NULL, trigger_type INTEGER NOT NULL, error_class TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_msg ON attempts (msg_id, id);
CREATE INDEX IF NOT EXISTS attempts_endpoint ON attempts (endpoint_id, id);
CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound_events (
  id TEXT NOT NULL, source_id TEXT NOT NULL, event_key TEXT, customer_id TEXT, name TEXT,
  score INTEGER, ts TEXT, localtime TEXT, occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL, revision INTEGER NOT NULL, content_type TEXT NOT NULL,
  payload BLOB NOT NULL, message_id TEXT, PRIMARY KEY (source_id, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS inbound_events_key ON inbound_events (source_id, event_key)
  WHERE event_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbound_events_customer
  ON inbound_events (source_id, customer_id, occurred_at);
CREATE TABLE IF NOT EXISTS inbound_rejections (
  id TEXT PRIMARY KEY, source_id TEXT NOT NULL, status INTEGER NOT NULL, reason TEXT NOT NULL,
  received_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inbound_rejections_source ON inbound_rejections (source_id, id);
-- Messages whose payload was expunged: they are not resent or replayed.
CREATE TABLE IF NOT EXISTS expunged_messages (msg_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_tokens (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
-- Audit ids sort by time: retention deletes a range of the key, listing walks it backwards.
CREATE TABLE IF NOT EXISTS audit_log (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, token_id TEXT NOT NULL, token_kind TEXT NOT NULL,
  app_id TEXT NOT NULL, method TEXT NOT NULL, route TEXT NOT NULL, path TEXT NOT NULL,
  object_id TEXT NOT NULL, changes TEXT NOT NULL, status INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS audit_log_app ON audit_log (app_id, id);
CREATE TABLE IF NOT EXISTS journeys (id TEXT PRIMARY KEY, app_id TEXT NOT NULL, doc TEXT NOT NULL);
-- Every saved definition of a journey: contacts finish on the version they entered.
CREATE TABLE IF NOT EXISTS journey_versions (
  journey_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (journey_id, version)) WITHOUT ROWID;
-- Contacts, one row per attribute (a merge is an upsert of the attributes it names), and their
-- activities in the order they arrived (seq): a contact's history is a walk of
-- activities_contact backwards.
CREATE TABLE IF NOT EXISTS contacts (
  app_id TEXT NOT NULL, key TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (app_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contact_attributes (
  app_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (app_id, key, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activities (
  seq INTEGER PRIMARY KEY, app_id TEXT NOT NULL, id TEXT NOT NULL, contact_key TEXT NOT NULL,
  name TEXT NOT NULL, params TEXT NOT NULL, occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL, pending INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX IF NOT EXISTS activities_id ON activities (app_id, id);
CREATE INDEX IF NOT EXISTS activities_contact ON activities (app_id, contact_key, seq);
CREATE INDEX IF NOT EXISTS activities_pending ON activities (seq) WHERE pending = 1;
-- Journey runs: the waiting ones by deadline, and by each activity name they wait for.
CREATE TABLE IF NOT EXISTS journey_runs (
  id TEXT PRIMARY KEY, app_id TEXT NOT NULL, journey_id TEXT NOT NULL, version INTEGER NOT NULL,
  contact_key TEXT NOT NULL, correlation TEXT NOT NULL, node TEXT NOT NULL,
  waiting INTEGER NOT NULL, wake_at INTEGER NOT NULL, held INTEGER NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS journey_runs_due ON journey_runs (wake_at) WHERE waiting = 1;
CREATE INDEX IF NOT EXISTS journey_runs_contact ON journey_runs (journey_id, contact_key);
CREATE INDEX IF NOT EXISTS journey_runs_node ON journey_runs (journey_id, node, id)
  WHERE waiting = 1;
CREATE INDEX IF NOT EXISTS journey_runs_held ON journey_runs (journey_id, id) WHERE held = 1;
-- The messages journeys sent, for their statistics.
CREATE TABLE IF NOT EXISTS journey_webhooks (
  journey_id TEXT NOT NULL, msg_id TEXT NOT NULL, version INTEGER NOT NULL, node TEXT NOT NULL,
  PRIMARY KEY (journey_id, msg_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journey_waits (
  app_id TEXT NOT NULL, contact_key TEXT NOT NULL, activity TEXT NOT NULL, run_id TEXT NOT NULL,
  PRIMARY KEY (app_id, contact_key, activity, run_id)) WITHOUT ROWID;
)sql";

bool has_index(Connection& db, const char* name) {
  Statement st(db.handle(), "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1");
  st.bind(1, name);
  return st.step();
}

// Stores written before message_apps existed indexed (app_id, id) on the messages table itself:
// fill message_apps from the table once (the mark starts at 0, so every message is unmerged)
// and drop that index.
void migrate_message_index(Connection& db) {
  if (!has_index(db, "messages_app")) return;
  const std::string merge = std::string(
                                "INSERT OR IGNORE INTO message_apps (app_id, id) SELECT app_id, "
                                "id FROM ") +
                            kUnmergedMessages + " ORDER BY app_id, id";
  TransactionStatements statements(db.handle());
  Transaction transaction(statements);
  db.exec(merge.c_str());
  db.exec(
      "UPDATE store_meta SET value = (SELECT coalesce(max(rowid), 0) FROM messages) "
      "WHERE key = 'message_apps_rowid'");
  db.exec("DROP INDEX messages_app");
  transaction.commit();
  spdlog::info("store: messages indexed by application in message_apps");
}

// Each migration finds out for itself whether the store needs it (the layout tells), so that
// the store file carries no version number of its own. In the order they were written.
constexpr void (*kMigrations[])(Connection&) = {migrate_message_index};

}  // namespace

void configure_writer(Connection& db) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA foreign_keys=OFF");
  db.exec("PRAGMA cache_size=-65536");
}

void create_schema(Connection& db) {
  db.exec(kSchema);
  db.exec(inbound_rows::kSchema);
  for (const auto migrate : kMigrations) migrate(db);
}

}  // namespace hookd::sqlite
