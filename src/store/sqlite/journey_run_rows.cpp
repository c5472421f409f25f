// The SQLite store's journey engine rows: runs with their index of awaited activities, the
// engine's step (runs, messages and applied activities in one transaction), and its reads.
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

namespace {

constexpr const char* kRunColumns =
    "id, app_id, journey_id, version, contact_key, correlation, waiting, wake_at, state, "
    "created_at, updated_at";

JourneyRun run_of(const Statement& st) {
  JourneyRun r;
  r.id = st.column_text(0);
  r.app_id = st.column_text(1);
  r.journey_id = st.column_text(2);
  r.version = static_cast<int>(st.column_int(3));
  r.contact_key = st.column_text(4);
  r.correlation = st.column_text(5);
  r.waiting = st.column_int(6) != 0;
  r.wake_at = st.column_int(7);
  r.state = st.column_text(8);
  r.created_at = st.column_int(9);
  r.updated_at = st.column_int(10);
  return r;
}

}  // namespace

void SqliteStore::save_run(const JourneyRun& r) {
  sqlite3* db = writer_db_->handle();
  Statement(db, std::string("INSERT OR REPLACE INTO journey_runs (") + kRunColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
      .bind(1, r.id)
      .bind(2, r.app_id)
      .bind(3, r.journey_id)
      .bind(4, int64_t{r.version})
      .bind(5, r.contact_key)
      .bind(6, r.correlation)
      .bind(7, int64_t{r.waiting ? 1 : 0})
      .bind(8, r.wake_at)
      .bind(9, r.state)
      .bind(10, r.created_at)
      .bind(11, r.updated_at)
      .run();
  Statement(db, "DELETE FROM journey_waits WHERE app_id = ?1 AND contact_key = ?2 AND run_id = ?3")
      .bind(1, r.app_id)
      .bind(2, r.contact_key)
      .bind(3, r.id)
      .run();
  if (!r.waiting) return;
  Statement wait(db,
                 "INSERT OR IGNORE INTO journey_waits (app_id, contact_key, activity, run_id) "
                 "VALUES (?1, ?2, ?3, ?4)");
  for (const auto& activity : r.awaited) {
    wait.bind(1, r.app_id).bind(2, r.contact_key).bind(3, activity).bind(4, r.id).run();
  }
}

void SqliteStore::apply(const write::JourneyStep& w, WriteResult& result) {
  for (const auto& run : w.runs) save_run(run);
  result.parts.assign(w.messages.size(), WriteResult{});
  for (size_t i = 0; i < w.messages.size(); ++i) apply(w.messages[i], result.parts[i]);
  Statement done(writer_db_->handle(),
                 "UPDATE activities SET pending = 0 WHERE app_id = ?1 AND id = ?2");
  for (const auto& id : w.activities_done) done.bind(1, w.app_id).bind(2, id).run();
}

std::vector<Activity> SqliteStore::pending_activities(int limit) {
  Query query(
      "SELECT seq, app_id, id, contact_key, name, params, occurred_at, received_at FROM "
      "activities WHERE pending = 1 ORDER BY seq LIMIT ?1");
  query.bind(1, int64_t{limit});
  ReaderLease db(*this);
  return query.rows(*db, [](const Statement& st) {
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
  return query.rows(*db, run_of);
}

std::vector<JourneyRun> SqliteStore::due_runs(int64_t now, int limit) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE waiting = 1 AND wake_at <= ?1 ORDER BY wake_at LIMIT ?2");
  query.bind(1, now).bind(2, int64_t{limit});
  ReaderLease db(*this);
  return query.rows(*db, run_of);
}

std::vector<JourneyRun> SqliteStore::contact_runs(const std::string& journey_id,
                                                  const std::string& contact_key) {
  Query query(std::string("SELECT ") + kRunColumns +
              " FROM journey_runs WHERE journey_id = ?1 AND contact_key = ?2 ORDER BY "
              "created_at, id");
  query.bind(1, journey_id).bind(2, contact_key);
  ReaderLease db(*this);
  return query.rows(*db, run_of);
}

}  // namespace hookd::sqlite
