// The PostgreSQL store's journey engine rows: runs with their index of awaited activities, the
// engine's step (runs, messages and applied activities in one transaction), and its reads.
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/store_impl.h"

namespace hookd::pg {

namespace {

constexpr const char* kRunColumns =
    "id, app_id, journey_id, version, contact_key, correlation, node, waiting, wake_at, held, "
    "state, created_at, updated_at";

std::vector<JourneyRun> runs_of(const Result& r) {
  std::vector<JourneyRun> out;
  for (int i = 0; i < r.rows(); ++i) {
    JourneyRun run;
    run.id = r.text(i, 0);
    run.app_id = r.text(i, 1);
    run.journey_id = r.text(i, 2);
    run.version = static_cast<int>(r.int64(i, 3));
    run.contact_key = r.text(i, 4);
    run.correlation = r.text(i, 5);
    run.node = r.text(i, 6);
    run.waiting = r.text(i, 7) == "t";
    run.wake_at = r.int64(i, 8);
    run.held = r.text(i, 9) == "t";
    run.state = r.text(i, 10);
    run.created_at = r.int64(i, 11);
    run.updated_at = r.int64(i, 12);
    out.push_back(std::move(run));
  }
  return out;
}

}  // namespace

void PostgresStore::save_run(const JourneyRun& r) {
  Params p;
  p.add(r.id).add(r.app_id).add(r.journey_id).add(r.version).add(r.contact_key);
  p.add(r.correlation).add(r.node).add(r.waiting ? "t" : "f").add(r.wake_at);
  p.add(r.held ? "t" : "f").add(r.state).add(r.created_at).add(r.updated_at);
  static const std::string kSave =
      std::string("INSERT INTO journey_runs (") + kRunColumns +
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO "
      "UPDATE SET version = excluded.version, correlation = excluded.correlation, node = "
      "excluded.node, waiting = excluded.waiting, wake_at = excluded.wake_at, held = "
      "excluded.held, state = excluded.state, updated_at = excluded.updated_at";
  writer_db_->send(kSave, p);
  if (!r.fresh) {
    writer_db_->send(
        "DELETE FROM journey_waits WHERE app_id = $1 AND contact_key = $2 AND run_id = $3",
        Params().add(r.app_id).add(r.contact_key).add(r.id));
  }
  if (!r.waiting || r.awaited.empty()) return;
  std::vector<std::optional<std::string>> names(r.awaited.begin(), r.awaited.end());
  writer_db_->send(
      "INSERT INTO journey_waits (app_id, contact_key, activity, run_id) SELECT $1, $2, a, $4 "
      "FROM unnest($3::text[]) AS a ON CONFLICT DO NOTHING",
      Params().add(r.app_id).add(r.contact_key).add(array_literal(names)).add(r.id));
}

void PostgresStore::apply(const write::JourneyStep& w, WriteResult& result) {
  for (const auto& run : w.runs) save_run(run);
  result.parts.assign(w.messages.size(), WriteResult{});
  for (size_t i = 0; i < w.messages.size(); ++i) {
    apply_messages({&w.messages[i]}, {&result.parts[i]});
    if (i >= w.webhooks.size()) continue;
    const JourneyWebhook& h = w.webhooks[i];
    // Only when the message went in (a repeated eventId inserts nothing).
    writer_db_->send(
        "INSERT INTO journey_webhooks (journey_id, msg_id, version, node) SELECT $1, $2, $3, $4 "
        "WHERE EXISTS (SELECT 1 FROM messages WHERE id = $2) ON CONFLICT DO NOTHING",
        Params().add(h.journey_id).add(h.msg_id).add(h.version).add(h.node));
  }
  if (w.activities_done.empty()) return;
  std::vector<std::optional<std::string>> ids(w.activities_done.begin(), w.activities_done.end());
  writer_db_->send("UPDATE activities SET pending = false WHERE app_id = $1 AND id = ANY($2)",
                   Params().add(w.app_id).add(array_literal(ids)));
}

std::vector<Activity> PostgresStore::pending_activities(int limit, int64_t after_seq) {
  // Only rows whose transaction is older than every transaction still open: nodes commit
  // concurrently, and a transaction still open may hold a lower seq than one already committed.
  // Reading no further than the oldest open transaction keeps seq order the order applied.
  Sql sql(
      "SELECT seq, app_id, id, contact_key, name, params, occurred_at, received_at FROM "
      "activities WHERE pending AND age(xmin) > age(xid(pg_snapshot_xmin(pg_current_snapshot()))) "
      "AND seq > ");
  sql.param(after_seq);
  sql.add(" ORDER BY seq LIMIT ");
  sql.param(int64_t{limit});
  const Result r = read(sql);
  std::vector<Activity> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.text(i, 2), r.text(i, 1), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   r.int64(i, 6), r.int64(i, 7), r.int64(i, 0)});
  }
  return out;
}

std::vector<JourneyRun> PostgresStore::runs_awaiting(const std::string& app_id,
                                                     const std::string& contact_key,
                                                     const std::string& activity) {
  Sql sql(std::string("SELECT ") + kRunColumns +
          " FROM journey_runs WHERE id IN (SELECT run_id FROM journey_waits WHERE app_id = ");
  sql.param(app_id).add(" AND contact_key = ").param(contact_key).add(" AND activity = ");
  sql.param(activity).add(") AND waiting ORDER BY created_at, id");
  return runs_of(read(sql));
}

std::vector<JourneyRun> PostgresStore::due_runs(int64_t now, int limit,
                                                const std::vector<std::string>& skip_journeys) {
  std::vector<std::optional<std::string>> skip(skip_journeys.begin(), skip_journeys.end());
  Sql sql(std::string("SELECT ") + kRunColumns +
          " FROM journey_runs WHERE waiting AND wake_at <= ");
  sql.param(now).add(" AND journey_id <> ALL(").param(array_literal(skip));
  sql.add("::text[]) ORDER BY wake_at LIMIT ").param(int64_t{limit});
  return runs_of(read(sql));
}

std::vector<JourneyRun> PostgresStore::held_runs(const std::string& journey_id, int limit) {
  Sql sql(std::string("SELECT ") + kRunColumns + " FROM journey_runs WHERE journey_id = ");
  sql.param(journey_id).add(" AND held ORDER BY id LIMIT ").param(int64_t{limit});
  return runs_of(read(sql));
}

std::vector<JourneyRun> PostgresStore::waiting_runs(const std::string& journey_id,
                                                    const std::string& node,
                                                    const std::string& after_id, int limit) {
  Sql sql(std::string("SELECT ") + kRunColumns + " FROM journey_runs WHERE journey_id = ");
  sql.param(journey_id).add(" AND waiting AND id > ").param(after_id);
  sql.add_if(!node.empty(), " AND node = ", node);
  sql.add(" ORDER BY id LIMIT ").param(int64_t{limit} + 1);
  return runs_of(read(sql));
}

JourneyStats PostgresStore::journey_stats(const std::string& journey_id) {
  JourneyStats stats;
  Sql runs("SELECT version, node, waiting, COUNT(*) FROM journey_runs WHERE journey_id = ");
  runs.param(journey_id).add(" GROUP BY version, node, waiting ORDER BY version, node, waiting");
  const Result r = read(runs);
  for (int i = 0; i < r.rows(); ++i) {
    stats.runs.push_back(
        {static_cast<int>(r.int64(i, 0)), r.text(i, 1), r.text(i, 2) == "t", r.int64(i, 3)});
  }
  Sql webhooks(
      "SELECT w.version, w.node, d.status, COUNT(*) FROM journey_webhooks w JOIN deliveries d ON "
      "d.msg_id = w.msg_id WHERE w.journey_id = ");
  webhooks.param(journey_id)
      .add(" GROUP BY w.version, w.node, d.status ORDER BY w.version, w.node, d.status");
  const Result h = read(webhooks);
  for (int i = 0; i < h.rows(); ++i) {
    stats.webhooks.push_back({static_cast<int>(h.int64(i, 0)), h.text(i, 1),
                              static_cast<int>(h.int64(i, 2)), h.int64(i, 3)});
  }
  return stats;
}

std::vector<JourneyRun> PostgresStore::contact_runs(const std::string& journey_id,
                                                    const std::string& contact_key) {
  Sql sql(std::string("SELECT ") + kRunColumns + " FROM journey_runs WHERE journey_id = ");
  sql.param(journey_id).add(" AND contact_key = ").param(contact_key);
  sql.add(" ORDER BY created_at, id");
  return runs_of(read(sql));
}

}  // namespace hookd::pg
