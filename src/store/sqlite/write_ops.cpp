// The SQLite store's writes: one apply per write op (store/store.h, namespace write), each run
// on the writer thread inside the open transaction of a group commit. A write that throws
// sqlite::Error fails the transaction (group_commit.cpp decides what that means).
#include <algorithm>

#include "common/ids.h"
#include "store/documents.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {
namespace {

// Binds `text`, or NULL when it is empty.
void bind_text_or_null(Statement& st, int index, const std::string& text) {
  if (text.empty()) {
    st.bind_null(index);
  } else {
    st.bind(index, text);
  }
}

// Runs each of `sqls` once with `id` bound to ?1, each prepared for this call.
void run_each(sqlite3* db, std::initializer_list<const char*> sqls, const std::string& id) {
  for (const char* sql : sqls) Statement(db, sql).bind(1, id).run();
}

}  // namespace

WriterStatements::WriterStatements(sqlite3* db)
    : transaction(db),
      put_app(db, "INSERT OR REPLACE INTO applications (id, doc) VALUES (?1, ?2)"),
      put_event_type(db, "INSERT OR REPLACE INTO event_types (name, doc) VALUES (?1, ?2)"),
      put_endpoint(db, "INSERT OR REPLACE INTO endpoints (id, app_id, doc) VALUES (?1, ?2, ?3)"),
      insert_message(db,
                     "INSERT INTO messages (id, app_id, event_type, event_id, channels, "
                     "payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                     "ON CONFLICT DO NOTHING"),
      insert_delivery(db,
                      "INSERT OR REPLACE INTO deliveries (msg_id, endpoint_id, app_id, status, "
                      "attempts, next_attempt_at, updated_at) VALUES (?1, ?2, ?3, 1, 0, ?4, ?4)"),
      update_delivery(db,
                      "UPDATE deliveries SET status = ?3, attempts = ?4, next_attempt_at = ?5, "
                      "updated_at = ?6 WHERE msg_id = ?1 AND endpoint_id = ?2"),
      insert_attempt(db,
                     "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, "
                     "status_code, response, duration_ms, trigger_type, error_class, "
                     "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
      upsert_inbound(db,
                     "INSERT INTO inbound_events (id, source_id, event_key, customer_id, name, "
                     "score, ts, localtime, occurred_at, received_at, revision, content_type, "
                     "payload, message_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, "
                     "?11, ?12, ?13) ON CONFLICT (source_id, event_key) WHERE event_key IS NOT "
                     "NULL DO UPDATE SET customer_id = excluded.customer_id, name = "
                     "excluded.name, score = excluded.score, ts = excluded.ts, localtime = "
                     "excluded.localtime, occurred_at = excluded.occurred_at, received_at = "
                     "excluded.received_at, revision = revision + 1, content_type = "
                     "excluded.content_type, payload = excluded.payload, message_id = "
                     "excluded.message_id RETURNING id, revision"),
      inbound_by_key(db,
                     "SELECT id, revision FROM inbound_events WHERE source_id = ?1 AND "
                     "event_key = ?2") {}

void SqliteStore::apply(const WriteOp& op, WriteResult& result) {
  std::visit([&](const auto& w) { apply(w, result); }, op);
}

void SqliteStore::apply(const write::PutApplication& w, WriteResult&) {
  const auto doc = documents::to_doc(w.app);
  statements_->put_app.bind(1, w.app.id).bind(2, doc).run();
}

void SqliteStore::apply(const write::DeleteApplication& w, WriteResult&) {
  const std::string unmerged = std::string("DELETE FROM ") + kUnmergedMessages + " AND app_id = ?1";
  run_each(
      writer_db_->handle(),
      {"DELETE FROM inbound_events WHERE source_id IN "
       "(SELECT id FROM sources WHERE app_id = ?1)",
       "DELETE FROM inbound_rejections WHERE source_id IN "
       "(SELECT id FROM sources WHERE app_id = ?1)",
       inbound_rows::kDeleteCountsOfApp, "DELETE FROM sources WHERE app_id = ?1",
       "DELETE FROM journey_versions WHERE journey_id IN "
       "(SELECT id FROM journeys WHERE app_id = ?1)",
       "DELETE FROM journeys WHERE app_id = ?1", "DELETE FROM contact_attributes WHERE app_id = ?1",
       "DELETE FROM contacts WHERE app_id = ?1", "DELETE FROM activities WHERE app_id = ?1",
       "DELETE FROM applications WHERE id = ?1", "DELETE FROM endpoints WHERE app_id = ?1",
       "DELETE FROM deliveries WHERE app_id = ?1", "DELETE FROM attempts WHERE app_id = ?1",
       "DELETE FROM expunged_messages WHERE msg_id IN "
       "(SELECT id FROM message_apps WHERE app_id = ?1)",
       "DELETE FROM messages WHERE id IN (SELECT id FROM message_apps WHERE app_id = ?1)",
       unmerged.c_str(), "DELETE FROM message_apps WHERE app_id = ?1"},
      w.app_id);
  message_index_->deleted(INT64_MAX);
}

void SqliteStore::apply(const write::PutEventType& w, WriteResult&) {
  const auto doc = documents::to_doc(w.event_type);
  statements_->put_event_type.bind(1, w.event_type.name).bind(2, doc).run();
}

void SqliteStore::apply(const write::DeleteEventType& w, WriteResult&) {
  Statement(writer_db_->handle(), "DELETE FROM event_types WHERE name = ?1").bind(1, w.name).run();
}

void SqliteStore::apply(const write::PutEndpoint& w, WriteResult&) {
  const auto doc = documents::to_doc(w.endpoint, options_.secrets);
  statements_->put_endpoint.bind(1, w.endpoint.id).bind(2, w.endpoint.app_id).bind(3, doc).run();
}

void SqliteStore::apply(const write::DeleteEndpoint& w, WriteResult&) {
  run_each(writer_db_->handle(),
           {"DELETE FROM endpoints WHERE id = ?1",
            "DELETE FROM deliveries INDEXED BY deliveries_pending WHERE status = 1 AND "
            "endpoint_id = ?1"},
           w.endpoint_id);
}

void SqliteStore::apply(const write::InsertMessage& w, WriteResult& result) {
  auto& s = *statements_;
  const Message& m = *w.message;
  const std::string channels = m.channels.empty() ? "" : documents::strings_to_json(m.channels);
  s.insert_message.bind(1, m.id).bind(2, m.app_id).bind(3, m.event_type);
  bind_text_or_null(s.insert_message, 4, m.event_id);
  bind_text_or_null(s.insert_message, 5, channels);
  s.insert_message.bind_blob(6, m.payload).bind(7, m.created_at).run();
  if (writer_db_->changes() == 0) {
    result = {WriteStatus::kConflict, "eventId: a message with this eventId already exists"};
    return;
  }
  message_index_->added(sqlite3_last_insert_rowid(writer_db_->handle()), m.app_id, m.id);
  for (const auto& endpoint_id : *w.endpoint_ids) {
    s.insert_delivery.bind(1, m.id)
        .bind(2, endpoint_id)
        .bind(3, m.app_id)
        .bind(4, m.created_at)
        .run();
  }
}

void SqliteStore::apply(const write::RecordAttempt& w, WriteResult&) {
  const Attempt& a = w.attempt;
  statements_->insert_attempt.bind(1, a.id)
      .bind(2, a.msg_id)
      .bind(3, a.endpoint_id)
      .bind(4, a.app_id)
      .bind(5, a.url)
      .bind(6, int64_t{static_cast<int>(a.status)})
      .bind(7, int64_t{a.status_code})
      .bind(8, a.response)
      .bind(9, a.duration_ms)
      .bind(10, int64_t{static_cast<int>(a.trigger)})
      .bind(11, a.error_class)
      .bind(12, a.created_at)
      .run();
  if (!w.update_delivery) return;
  const Delivery& d = w.delivery;
  statements_->update_delivery.bind(1, d.msg_id)
      .bind(2, d.endpoint_id)
      .bind(3, int64_t{static_cast<int>(d.status)})
      .bind(4, int64_t{d.attempts})
      .bind(5, d.next_attempt_at)
      .bind(6, d.updated_at)
      .run();
}

void SqliteStore::apply(const write::PutSource& w, WriteResult&) {
  const auto doc = documents::to_doc(w.source, options_.secrets);
  Statement(writer_db_->handle(),
            "INSERT OR REPLACE INTO sources (id, app_id, doc) VALUES (?1, ?2, ?3)")
      .bind(1, w.source.id)
      .bind(2, w.source.app_id)
      .bind(3, doc)
      .run();
}

void SqliteStore::apply(const write::DeleteSource& w, WriteResult&) {
  run_each(writer_db_->handle(),
           {"DELETE FROM inbound_events WHERE source_id = ?1",
            "DELETE FROM inbound_rejections WHERE source_id = ?1",
            inbound_rows::kDeleteCountsOfSource, "DELETE FROM sources WHERE id = ?1"},
           w.source_id);
}

bool SqliteStore::find_stored_inbound(const InboundEvent& e, WriteResult& result) {
  Statement& stored = statements_->inbound_by_key;
  stored.bind(1, e.source_id).bind(2, e.event_key);
  const bool found = stored.step();
  if (found) {
    result.stored_id = stored.column_text(0);
    result.revision = stored.column_int(1);
    result.duplicate = true;
  }
  stored.reset();
  return found;
}

void SqliteStore::apply(const write::UpsertInboundEvent& w, WriteResult& result) {
  const InboundEvent& e = w.event;
  if (w.keep_first && !e.event_key.empty() && find_stored_inbound(e, result)) return;
  if (w.forward) {
    apply(*w.forward, result);
    if (result.status != WriteStatus::kOk) return;
  }
  Statement& st = statements_->upsert_inbound;
  st.bind(1, e.id).bind(2, e.source_id);
  bind_text_or_null(st, 3, e.event_key);
  bind_text_or_null(st, 4, e.customer_id);
  bind_text_or_null(st, 5, e.name);
  if (e.score) {
    st.bind(6, int64_t{*e.score});
  } else {
    st.bind_null(6);
  }
  bind_text_or_null(st, 7, e.ts);
  bind_text_or_null(st, 8, e.localtime);
  st.bind(9, e.occurred_at).bind(10, e.received_at).bind(11, e.content_type);
  st.bind_blob(12, e.payload);
  bind_text_or_null(st, 13, e.message_id);
  if (!st.step()) {
    st.reset();
    throw Error(SQLITE_ERROR, "inbound upsert returned no row");
  }
  result.stored_id = st.column_text(0);
  result.revision = st.column_int(1);
  st.reset();
}

void SqliteStore::apply(const write::RecordRejection& w, WriteResult&) {
  rejection_log_->record(w.rejection);
}

void SqliteStore::apply(const write::Prune& w, WriteResult& result) {
  sqlite3* db = writer_db_->handle();
  // Attempt ids sort by creation time, so the oldest are a range of the primary key.
  Statement attempts(db,
                     "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id < ?1 "
                     "ORDER BY id LIMIT ?2)");
  const std::string attempt_bound = make_id("atmpt_", w.before, 0, 0);
  attempts.bind(1, attempt_bound).bind(2, int64_t{w.limit}).run();
  const int64_t attempts_deleted = writer_db_->changes();
  const int64_t messages_deleted = prune_messages(w);
  const int64_t inbound_deleted = inbound_rows::prune(db, w.before, w.limit);
  const int64_t audit_deleted = prune_audit(w);
  result.affected = std::max({attempts_deleted, messages_deleted, inbound_deleted, audit_deleted});
}

int64_t SqliteStore::prune_messages(const write::Prune& w) {
  sqlite3* db = writer_db_->handle();
  // Messages in insertion (rowid) order: the oldest come first.
  Statement pick(db,
                 "SELECT rowid, id, app_id FROM messages WHERE rowid IN (SELECT rowid FROM "
                 "messages ORDER BY rowid LIMIT ?2) AND created_at < ?1");
  pick.bind(1, w.before).bind(2, int64_t{w.limit});
  struct Old {
    int64_t rowid;
    std::string id, app_id;
  };
  std::vector<Old> old;
  while (pick.step()) old.push_back({pick.column_int(0), pick.column_text(1), pick.column_text(2)});
  pick.reset();
  Statement deliveries(db, "DELETE FROM deliveries WHERE msg_id = ?1");
  Statement message_attempts(db, "DELETE FROM attempts WHERE msg_id = ?1");
  Statement message(db, "DELETE FROM messages WHERE rowid = ?1");
  Statement listed(db, "DELETE FROM message_apps WHERE app_id = ?1 AND id = ?2");
  Statement expunged(db, "DELETE FROM expunged_messages WHERE msg_id = ?1");
  int64_t newest_deleted = 0;
  for (const auto& o : old) {
    deliveries.bind(1, o.id).run();
    message_attempts.bind(1, o.id).run();
    message.bind(1, o.rowid).run();
    listed.bind(1, o.app_id).bind(2, o.id).run();
    expunged.bind(1, o.id).run();
    newest_deleted = std::max(newest_deleted, o.rowid);
  }
  if (!old.empty()) message_index_->deleted(newest_deleted);
  return static_cast<int64_t>(old.size());
}

}  // namespace hookd::sqlite
