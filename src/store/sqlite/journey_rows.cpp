// The SQLite store's journeys: the journey documents (read with the catalog) and the versions
// of their definitions. Writes run on the writer thread, reads on a reader connection.
#include "store/documents.h"
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

void SqliteStore::apply(const write::PutJourney& w, WriteResult&) {
  const Journey& j = w.journey;
  Statement(writer_db_->handle(),
            "INSERT OR REPLACE INTO journeys (id, app_id, doc) VALUES (?1, ?2, ?3)")
      .bind(1, j.id)
      .bind(2, j.app_id)
      .bind(3, documents::to_doc(j))
      .run();
  if (!w.new_version) return;
  Statement(writer_db_->handle(),
            "INSERT OR IGNORE INTO journey_versions (journey_id, version, definition, created_at) "
            "VALUES (?1, ?2, ?3, ?4)")
      .bind(1, j.id)
      .bind(2, int64_t{j.version})
      .bind(3, j.definition)
      .bind(4, j.updated_at)
      .run();
}

void SqliteStore::apply(const write::DeleteJourney& w, WriteResult&) {
  for (const char* sql :
       {"DELETE FROM journey_waits WHERE run_id IN (SELECT id FROM journey_runs WHERE "
        "journey_id = ?1)",
        "DELETE FROM journey_runs WHERE journey_id = ?1",
        "DELETE FROM journey_versions WHERE journey_id = ?1",
        "DELETE FROM journey_webhooks WHERE journey_id = ?1",
        "DELETE FROM journeys WHERE id = ?1"}) {
    Statement(writer_db_->handle(), sql).bind(1, w.journey_id).run();
  }
}

std::vector<JourneyVersion> SqliteStore::list_journey_versions(const std::string& journey_id) {
  Query query(
      "SELECT version, definition, created_at FROM journey_versions WHERE journey_id = ?1 ORDER "
      "BY version");
  query.bind(1, journey_id);
  ReaderLease db(*this);
  return query.rows(*db, [&journey_id](const Statement& st) {
    JourneyVersion v;
    v.journey_id = journey_id;
    v.version = static_cast<int>(st.column_int(0));
    v.definition = st.column_text(1);
    v.created_at = st.column_int(2);
    return v;
  });
}

}  // namespace hookd::sqlite
