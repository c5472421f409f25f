// The PostgreSQL store's journeys: the journey documents (read with the catalog) and the
// versions of their definitions. Writes run on the writer thread, reads on a reader connection.
#include "store/documents.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {

void PostgresStore::apply(const write::PutJourney& w, WriteResult&) {
  const Journey& j = w.journey;
  writer_db_->send(
      "INSERT INTO journeys (id, app_id, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE "
      "SET app_id = excluded.app_id, doc = excluded.doc",
      Params().add(j.id).add(j.app_id).add(documents::to_doc(j)));
  if (!w.new_version) return;
  writer_db_->send(
      "INSERT INTO journey_versions (journey_id, version, definition, created_at) VALUES ($1, "
      "$2, $3, $4) ON CONFLICT DO NOTHING",
      Params().add(j.id).add(j.version).add(j.definition).add(j.updated_at));
}

void PostgresStore::apply(const write::DeleteJourney& w, WriteResult&) {
  for (const char* sql : {"DELETE FROM journey_waits WHERE run_id IN (SELECT id FROM "
                          "journey_runs WHERE journey_id = $1)",
                          "DELETE FROM journey_runs WHERE journey_id = $1",
                          "DELETE FROM journey_versions WHERE journey_id = $1",
                          "DELETE FROM journey_webhooks WHERE journey_id = $1"}) {
    writer_db_->send(sql, Params().add(w.journey_id));
  }
  writer_db_->send("DELETE FROM journeys WHERE id = $1", Params().add(w.journey_id));
}

std::vector<JourneyVersion> PostgresStore::list_journey_versions(const std::string& journey_id) {
  Sql sql("SELECT version, definition, created_at FROM journey_versions WHERE journey_id = ");
  sql.param(journey_id).add(" ORDER BY version");
  const Result r = read(sql);
  std::vector<JourneyVersion> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({journey_id, static_cast<int>(r.int64(i, 0)), r.text(i, 1), r.int64(i, 2)});
  }
  return out;
}

}  // namespace hookd::pg
