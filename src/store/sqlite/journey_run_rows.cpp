// The SQLite store's journey engine rows: runs with their index of awaited activities, the
// engine's step (runs, messages and applied activities in one transaction), and its reads.
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

namespace {

constexpr const char* kRunColumns =
    "id, app_id, journey_id, version, contact_key, correlation, node, waiting, wake_at, held, "
    "state, created_at, updated_at";

JourneyRun run_of(const Statement& st) {
  JourneyRun r;
  r.id = st.column_text(0);
  r.app_id = st.column_text(1);
  r.journey_id = st.column_text(2);
  r.version = static_cast<int>(st.column_int(3));
  r.contact_key = st.column_text(4);
  r.correlation = st.column_text(5);
  r.node = st.column_text(6);
  r.waiting = st.column_int(7) != 0;
  r.wake_at = st.column_int(8);
  r.held = st.column_int(9) != 0;
  r.state = st.column_text(10);
  r.created_at = st.column_int(11);
  r.updated_at = st.column_int(12);
  return r;
}

}  // namespace

// An update rather than a replacement: only the indexes on the columns a move changes are
// rewritten (never the id's or the contact's).
void SqliteStore::save_run(const JourneyRun& r) {
  static const std::string kSave =
      std::string("INSERT INTO journey_runs (") + kRunColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO "
      "UPDATE SET version = excluded.version, correlation = excluded.correlation, node = "
      "excluded.node, waiting = excluded.waiting, wake_at = excluded.wake_at, held = "
      "excluded.held, state = excluded.state, updated_at = excluded.updated_at";
  writer_db_->cached(kSave)
      .bind(1, r.id)
      .bind(2, r.app_id)
      .bind(3, r.journey_id)
      .bind(4, int64_t{r.version})
      .bind(5, r.contact_key)
      .bind(6, r.correlation)
      .bind(7, r.node)
      .bind(8, int64_t{r.waiting ? 1 : 0})
      .bind(9, r.wake_at)
      .bind(10, int64_t{r.held ? 1 : 0})
      .bind(11, r.state)
      .bind(12, r.created_at)
      .bind(13, r.updated_at)
      .run();
  if (!r.fresh) {
    writer_db_
        ->cached("DELETE FROM journey_waits WHERE app_id = ?1 AND contact_key = ?2 AND run_id = ?3")
        .bind(1, r.app_id)
        .bind(2, r.contact_key)
        .bind(3, r.id)
        .run();
  }
  if (!r.waiting) return;
  Statement& wait = writer_db_->cached(
      "INSERT OR IGNORE INTO journey_waits (app_id, contact_key, activity, run_id) "
      "VALUES (?1, ?2, ?3, ?4)");
  for (const auto& activity : r.awaited) {
    wait.bind(1, r.app_id).bind(2, r.contact_key).bind(3, activity).bind(4, r.id).run();
  }
}

void SqliteStore::apply(const write::JourneyStep& w, WriteResult& result) {
  for (const auto& run : w.runs) save_run(run);
  result.parts.assign(w.messages.size(), WriteResult{});
  Statement& webhook = writer_db_->cached(
      "INSERT OR IGNORE INTO journey_webhooks (journey_id, msg_id, version, node) VALUES (?1, ?2, "
      "?3, ?4)");
  for (size_t i = 0; i < w.messages.size(); ++i) {
    apply(w.messages[i], result.parts[i]);
    if (result.parts[i].status != WriteStatus::kOk || i >= w.webhooks.size()) continue;
    const JourneyWebhook& h = w.webhooks[i];
    webhook.bind(1, h.journey_id).bind(2, h.msg_id).bind(3, int64_t{h.version}).bind(4, h.node);
    webhook.run();
  }
  Statement& done =
      writer_db_->cached("UPDATE activities SET pending = 0 WHERE app_id = ?1 AND id = ?2");
  for (const auto& id : w.activities_done) done.bind(1, w.app_id).bind(2, id).run();
}

std::vector<Activity> SqliteStore::pending_activities(int limit, int64_t after_seq) {
  Query query(
      "SELECT seq, app_id, id, contact_key, name, params, occurred_at, received_at FROM "
      "activities WHERE pending = 1 AND seq > ?2 ORDER BY seq LIMIT ?1");
  query.bind(1, int64_t{limit}).bind(2, after_seq);
  ReaderLease db(*this);
  return query.rows(db.connection(), [](const Statement& st) {
    Activity a;
    a.seq = st.column_int(0);
    a.app_id = st.column_text(1);
    a.id = st.column_text(2);
    a.contact_key = st.column_text(3);
    a.name = st.column_text(4);
    a.params = st.column_text(5);
    a.occurred_at = st.column_int(6);
    a.received_at = st.column_int(7);
    return a;
  });
}

std::vector<JourneyRun> SqliteStore::runs_awaiting(const std::string& app_id,
                                                   const std::string& contact_key,
                                                   const std::string& activity) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE id IN (SELECT run_id FROM journey_waits WHERE app_id = "
              "?1 AND contact_key = ?2 AND activity = ?3) AND waiting = 1 ORDER BY created_at, id");
  query.bind(1, app_id).bind(2, contact_key).bind(3, activity);
  ReaderLease db(*this);
  return query.rows(db.connection(), run_of);
}

std::vector<JourneyRun> SqliteStore::due_runs(int64_t now, int limit,
                                              const std::vector<std::string>& skip_journeys) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs INDEXED BY journey_runs_due WHERE waiting = 1 AND wake_at <= ?1");
  query.bind(1, now).bind(2, int64_t{limit});
  query.add_in("journey_id", skip_journeys, 3, true).add(" ORDER BY wake_at LIMIT ?2");
  ReaderLease db(*this);
  return query.rows(db.connection(), run_of);
}

std::vector<JourneyRun> SqliteStore::held_runs(const std::string& journey_id, int limit) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE journey_id = ?1 AND held = 1 ORDER BY id LIMIT ?2");
  query.bind(1, journey_id).bind(2, int64_t{limit});
  ReaderLease db(*this);
  return query.rows(*db, run_of);
}

std::vector<JourneyRun> SqliteStore::waiting_runs(const std::string& journey_id,
                                                  const std::string& node,
                                                  const std::string& after_id, int limit) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE journey_id = ?1 AND waiting = 1 AND id > ?2");
  query.bind(1, journey_id).bind(2, after_id).add_if(!node.empty(), " AND node = ?3", 3, node);
  query.add(" ORDER BY id LIMIT ?4").bind(4, int64_t{limit} + 1);
  ReaderLease db(*this);
  return query.rows(*db, run_of);
}

JourneyStats SqliteStore::journey_stats(const std::string& journey_id) {
  JourneyStats stats;
  Query runs(
      "SELECT version, node, waiting, COUNT(*) FROM journey_runs WHERE journey_id = ?1 GROUP BY "
      "version, node, waiting ORDER BY version, node, waiting");
  runs.bind(1, journey_id);
  Query webhooks(
      "SELECT w.version, w.node, d.status, COUNT(*) FROM journey_webhooks w JOIN deliveries d ON "
      "d.msg_id = w.msg_id WHERE w.journey_id = ?1 GROUP BY w.version, w.node, d.status ORDER BY "
      "w.version, w.node, d.status");
  webhooks.bind(1, journey_id);
  ReaderLease db(*this);
  stats.runs = runs.rows(*db, [](const Statement& st) {
    return JourneyNodeCount{static_cast<int>(st.column_int(0)), st.column_text(1),
                            st.column_int(2) != 0, st.column_int(3)};
  });
  stats.webhooks = webhooks.rows(*db, [](const Statement& st) {
    return JourneyWebhookCount{static_cast<int>(st.column_int(0)), st.column_text(1),
                               static_cast<int>(st.column_int(2)), st.column_int(3)};
  });
  return stats;
}

std::vector<JourneyRun> SqliteStore::contact_runs(const std::string& journey_id,
                                                  const std::string& contact_key) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE journey_id = ?1 AND contact_key = ?2 ORDER BY "
              "created_at, id");
  query.bind(1, journey_id).bind(2, contact_key);
  ReaderLease db(*this);
  return query.rows(db.connection(), run_of);
}

}  // namespace hookd::sqlite
