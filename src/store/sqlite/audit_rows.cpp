// The SQLite store's tokens and audit log: their writes (on the writer thread, in the open
// transaction), the audit log's read (on a reader connection) and its share of retention.
#include "common/ids.h"
#include "store/documents.h"
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kAuditColumns =
    "id, at, token_id, token_kind, app_id, method, route, path, object_id, changes, status";

AuditEntry read_audit(const Statement& st) {
  AuditEntry e;
  e.id = st.column_text(0);
  e.at = st.column_int(1);
  e.token_id = st.column_text(2);
  e.token_kind = st.column_text(3);
  e.app_id = st.column_text(4);
  e.method = st.column_text(5);
  e.route = st.column_text(6);
  e.path = st.column_text(7);
  e.object_id = st.column_text(8);
  e.changes_json = st.column_text(9);
  e.status = static_cast<int>(st.column_int(10));
  return e;
}

}  // namespace

void SqliteStore::apply(const write::PutToken& w, WriteResult&) {
  Statement(writer_db_->handle(), "INSERT OR REPLACE INTO api_tokens (id, doc) VALUES (?1, ?2)")
      .bind(1, w.token.id)
      .bind(2, documents::to_doc(w.token))
      .run();
}

void SqliteStore::apply(const write::RecordAudit& w, WriteResult&) {
  const AuditEntry& e = w.entry;
  Statement(writer_db_->handle(),
            "INSERT INTO audit_log (id, at, token_id, token_kind, app_id, method, route, path, "
            "object_id, changes, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
      .bind(1, e.id)
      .bind(2, e.at)
      .bind(3, e.token_id)
      .bind(4, e.token_kind)
      .bind(5, e.app_id)
      .bind(6, e.method)
      .bind(7, e.route)
      .bind(8, e.path)
      .bind(9, e.object_id)
      .bind(10, e.changes_json)
      .bind(11, int64_t{e.status})
      .run();
}

int64_t SqliteStore::prune_audit(const write::Prune& w) {
  // Audit ids sort by time, so the oldest entries are a range of the primary key.
  Statement(writer_db_->handle(),
            "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id < ?1 ORDER BY "
            "id LIMIT ?2)")
      .bind(1, make_id("aud_", w.before, 0, 0))
      .bind(2, int64_t{w.limit})
      .run();
  return writer_db_->changes();
}

std::vector<AuditEntry> SqliteStore::list_audit(const AuditFilter& filter, const Page& page) {
  // Ids bound the time range: an entry's id encodes the millisecond it was recorded in.
  const std::string low = make_id("aud_", filter.since.value_or(0), 0, 0);
  const std::string high = filter.until ? make_id("aud_", *filter.until, 0, 0) : std::string();
  Query query(select(kAuditColumns, " FROM audit_log WHERE id >= ?1"));
  query.bind(1, low)
      .add_if(!filter.app_id.empty(), " AND app_id = ?2", 2, filter.app_id)
      .add_if(!filter.object_id.empty(), " AND object_id = ?3", 3, filter.object_id)
      .add_if(filter.until.has_value(), " AND id < ?4", 4, high)
      .add_if(!page.iterator.empty(), " AND id < ?5", 5, page.iterator)
      .add(" ORDER BY id DESC LIMIT ?6")
      .bind(6, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, read_audit);
}

}  // namespace hookd::sqlite
