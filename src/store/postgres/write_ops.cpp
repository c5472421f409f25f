// The PostgreSQL store's writes: one apply per write op (store/store.h, namespace write), each
// run on the writer thread inside the open transaction of a group commit. A write that throws
// pg::Error fails the transaction (group_commit.cpp decides what that means). Statements whose
// result is not read are queued with Connection::send and reach the server with the next one.
#include <algorithm>
#include <optional>
#include <unordered_set>

#include "common/ids.h"
#include "store/documents.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {
namespace {

// Queues each of `sqls` once with `id` as $1 (they run with the commit, in order).
void run_each(Connection& db, std::initializer_list<const char*> sqls, const std::string& id) {
  for (const char* sql : sqls) db.send(sql, Params().add(id));
}

void put_doc(Connection& db, const char* table, const std::string& id, const std::string& doc) {
  db.send(std::string("INSERT INTO ") + table +
              " (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
          Params().add(id).add(doc));
}

// The deliveries of a run of messages, as the arrays of one INSERT ... SELECT FROM unnest.
class DeliveryRows final {
 public:
  // `claim` 0: unclaimed and due at the message's creation; otherwise claimed for `lease_ms`.
  void add(const Message& m, const std::string& endpoint_id, uint64_t claim, int64_t lease_ms) {
    msg_.emplace_back(m.id);
    endpoint_.emplace_back(endpoint_id);
    app_.emplace_back(m.app_id);
    due_.emplace_back(std::to_string(m.created_at + lease_ms));
    updated_.emplace_back(std::to_string(m.created_at));
    claim_.emplace_back(std::to_string(claim));
  }
  bool empty() const { return msg_.empty(); }
  // $1 ... $6: message, endpoint, application, due, updated, claim.
  Params params() const {
    Params p;
    for (const auto* column : {&msg_, &endpoint_, &app_, &due_, &updated_, &claim_}) {
      p.add(array_literal(*column));
    }
    return p;
  }

 private:
  std::vector<std::optional<std::string>> msg_, endpoint_, app_, due_, updated_, claim_;
};

// Whether the op changes what Store::load_catalog reads.
bool changes_catalog(const WriteOp& op) {
  return std::holds_alternative<write::PutApplication>(op) ||
         std::holds_alternative<write::DeleteApplication>(op) ||
         std::holds_alternative<write::PutEventType>(op) ||
         std::holds_alternative<write::DeleteEventType>(op) ||
         std::holds_alternative<write::PutEndpoint>(op) ||
         std::holds_alternative<write::DeleteEndpoint>(op) ||
         std::holds_alternative<write::PutSource>(op) ||
         std::holds_alternative<write::DeleteSource>(op) ||
         std::holds_alternative<write::PutToken>(op) ||
         std::holds_alternative<write::PutJourney>(op) ||
         std::holds_alternative<write::DeleteJourney>(op);
}

}  // namespace

void PostgresStore::apply(const WriteOp& op, WriteResult& result) {
  if (changes_catalog(op)) catalog_changed_ = true;
  std::visit([&](const auto& w) { apply(w, result); }, op);
}

void PostgresStore::before_commit() {
  trim_rejections();
  notify_before_commit();
  if (!catalog_changed_) return;
  // Other nodes follow the catalog by this number (Store::catalog_version).
  writer_db_->send("UPDATE hookd_catalog SET version = version + 1");
  catalog_changed_ = false;
}

void PostgresStore::apply(const write::PutApplication& w, WriteResult&) {
  put_doc(*writer_db_, "applications", w.app.id, documents::to_doc(w.app));
}

void PostgresStore::apply(const write::DeleteApplication& w, WriteResult&) {
  run_each(
      *writer_db_,
      {"DELETE FROM inbound_events WHERE source_id IN (SELECT id FROM sources WHERE app_id = "
       "$1)",
       "DELETE FROM inbound_rejections WHERE source_id IN (SELECT id FROM sources WHERE "
       "app_id = $1)",
       "DELETE FROM inbound_rejection_counts WHERE source_id IN (SELECT id FROM sources WHERE "
       "app_id = $1)",
       "DELETE FROM sources WHERE app_id = $1", "DELETE FROM applications WHERE id = $1",
       "DELETE FROM journey_versions WHERE journey_id IN (SELECT id FROM journeys WHERE "
       "app_id = $1)",
       "DELETE FROM journeys WHERE app_id = $1", "DELETE FROM contact_attributes WHERE app_id = $1",
       "DELETE FROM contacts WHERE app_id = $1", "DELETE FROM activities WHERE app_id = $1",
       "DELETE FROM endpoints WHERE app_id = $1", "DELETE FROM deliveries WHERE app_id = $1",
       "DELETE FROM attempts WHERE app_id = $1",
       "DELETE FROM expunged_messages WHERE msg_id IN (SELECT id FROM messages WHERE app_id "
       "= $1)",
       "DELETE FROM messages WHERE app_id = $1"},
      w.app_id);
}

void PostgresStore::apply(const write::PutEventType& w, WriteResult&) {
  writer_db_->exec(
      "INSERT INTO event_types (name, doc) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
      "doc = excluded.doc",
      Params().add(w.event_type.name).add(documents::to_doc(w.event_type)));
}

void PostgresStore::apply(const write::DeleteEventType& w, WriteResult&) {
  writer_db_->exec("DELETE FROM event_types WHERE name = $1", Params().add(w.name));
}

void PostgresStore::apply(const write::PutEndpoint& w, WriteResult&) {
  writer_db_->exec(
      "INSERT INTO endpoints (id, app_id, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE "
      "SET app_id = excluded.app_id, doc = excluded.doc",
      Params()
          .add(w.endpoint.id)
          .add(w.endpoint.app_id)
          .add(documents::to_doc(w.endpoint, options_.secrets)));
}

void PostgresStore::apply(const write::DeleteEndpoint& w, WriteResult&) {
  run_each(*writer_db_,
           {"DELETE FROM endpoints WHERE id = $1",
            "DELETE FROM deliveries WHERE status = 1 AND endpoint_id = $1"},
           w.endpoint_id);
}

// A message alone (one forwarded by an inbound event) goes the way of a run of them.
void PostgresStore::apply(const write::InsertMessage& w, WriteResult& result) {
  apply_messages({&w}, {&result});
}

void PostgresStore::apply(const write::PutSource& w, WriteResult&) {
  writer_db_->exec(
      "INSERT INTO sources (id, app_id, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET "
      "app_id = excluded.app_id, doc = excluded.doc",
      Params()
          .add(w.source.id)
          .add(w.source.app_id)
          .add(documents::to_doc(w.source, options_.secrets)));
}

void PostgresStore::apply(const write::DeleteSource& w, WriteResult&) {
  run_each(*writer_db_,
           {"DELETE FROM inbound_events WHERE source_id = $1",
            "DELETE FROM inbound_rejections WHERE source_id = $1",
            "DELETE FROM inbound_rejection_counts WHERE source_id = $1",
            "DELETE FROM sources WHERE id = $1"},
           w.source_id);
}

void PostgresStore::apply(const write::UpsertInboundEvent& w, WriteResult& result) {
  const InboundEvent& e = w.event;
  if (w.keep_first && !e.event_key.empty()) {
    const Result stored = writer_db_->exec(
        "SELECT id, revision FROM inbound_events WHERE source_id = $1 AND event_key = $2",
        Params().add(e.source_id).add(e.event_key));
    if (stored.rows() > 0) {
      result.stored_id = stored.text(0, 0);
      result.revision = stored.int64(0, 1);
      result.duplicate = true;
      return;
    }
  }
  if (w.forward) {
    apply(*w.forward, result);
    writer_db_->sync();  // a repeated eventId shows in `result` once the insert ran
    if (result.status != WriteStatus::kOk) return;
  }
  Params params;
  params.add(e.id).add(e.source_id).add_or_null(e.event_key).add_or_null(e.customer_id);
  params.add_or_null(e.name);
  if (e.score) {
    params.add(*e.score);
  } else {
    params.add_null();
  }
  params.add_or_null(e.ts).add_or_null(e.localtime).add(e.occurred_at).add(e.received_at);
  params.add(e.content_type).add_bytes(e.payload).add_or_null(e.message_id);
  const Result row = writer_db_->exec(
      "INSERT INTO inbound_events AS t (id, source_id, event_key, customer_id, name, score, ts, "
      "\"localtime\", occurred_at, received_at, revision, content_type, payload, message_id) "
      "VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12, $13) ON CONFLICT (source_id, "
      "event_key) WHERE event_key IS NOT NULL DO UPDATE SET customer_id = excluded.customer_id, "
      "name = excluded.name, score = excluded.score, ts = excluded.ts, \"localtime\" = "
      "excluded.\"localtime\", occurred_at = excluded.occurred_at, received_at = "
      "excluded.received_at, revision = t.revision + 1, content_type = excluded.content_type, "
      "payload = excluded.payload, message_id = excluded.message_id RETURNING id, revision",
      params);
  if (row.rows() != 1) throw Error("", "inbound upsert returned no row");
  result.stored_id = row.text(0, 0);
  result.revision = row.int64(0, 1);
}

void PostgresStore::apply(const write::RecordRejection& w, WriteResult&) {
  const InboundRejection& r = w.rejection;
  writer_db_->send(
      "INSERT INTO inbound_rejections (id, source_id, status, reason, received_at) VALUES ($1, "
      "$2, $3, $4, $5)",
      Params().add(r.id).add(r.source_id).add(r.status).add(r.reason).add(r.received_at));
  writer_db_->send(
      "INSERT INTO inbound_rejection_counts AS c (source_id, reason, count, last_at) VALUES ($1, "
      "$2, 1, $3) ON CONFLICT (source_id, reason) DO UPDATE SET count = c.count + 1, last_at = "
      "greatest(c.last_at, excluded.last_at)",
      Params().add(r.source_id).add(r.reason).add(r.received_at));
  if (std::find(touched_sources_.begin(), touched_sources_.end(), r.source_id) ==
      touched_sources_.end()) {
    touched_sources_.push_back(r.source_id);
  }
}

void PostgresStore::trim_rejections() {
  // Rejection ids sort by time: each source touched keeps its newest `sample` rows.
  for (const auto& source_id : touched_sources_) {
    writer_db_->send(
        "DELETE FROM inbound_rejections WHERE id IN (SELECT id FROM inbound_rejections WHERE "
        "source_id = $1 ORDER BY id DESC OFFSET $2)",
        Params().add(source_id).add(std::max(1, options_.rejection_sample)));
  }
  touched_sources_.clear();
}

void PostgresStore::apply(const write::PutToken& w, WriteResult&) {
  put_doc(*writer_db_, "api_tokens", w.token.id, documents::to_doc(w.token));
}

void PostgresStore::apply(const write::RecordAudit& w, WriteResult&) {
  const AuditEntry& e = w.entry;
  writer_db_->exec(
      "INSERT INTO audit_log (id, at, token_id, token_kind, app_id, method, route, path, "
      "object_id, changes, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      Params()
          .add(e.id)
          .add(e.at)
          .add(e.token_id)
          .add(e.token_kind)
          .add(e.app_id)
          .add(e.method)
          .add(e.route)
          .add(e.path)
          .add(e.object_id)
          .add(e.changes_json)
          .add(e.status));
}

void PostgresStore::apply(const write::ExpungeContent& w, WriteResult& result) {
  const Result changed = writer_db_->exec(
      w.attempt_id.empty() ? "UPDATE messages SET payload = '{}' WHERE id = $1 AND app_id = $2"
                           : "UPDATE attempts SET response = '' WHERE id = $1 AND app_id = $2",
      Params().add(w.attempt_id.empty() ? w.msg_id : w.attempt_id).add(w.app_id));
  result.affected = changed.affected();
  if (w.attempt_id.empty() && result.affected > 0) {
    writer_db_->exec("INSERT INTO expunged_messages (msg_id) VALUES ($1) ON CONFLICT DO NOTHING",
                     Params().add(w.msg_id));
  }
}

void PostgresStore::apply(const write::Prune& w, WriteResult& result) {
  Connection& db = *writer_db_;
  // Ids sort by creation time: the oldest rows are a range of each primary key.
  const auto range = [&](const char* table, const char* prefix, const char* extra) {
    return db
        .exec(std::string("DELETE FROM ") + table + " WHERE id IN (SELECT id FROM " + table +
                  " WHERE id < $1" + extra + " ORDER BY id LIMIT $2)",
              Params().add(make_id(prefix, w.before, 0, 0)).add(w.limit))
        .affected();
  };
  const int64_t attempts = range("attempts", "atmpt_", "");
  const Result old =
      db.exec("SELECT id FROM messages WHERE id < $1 AND created_at < $2 ORDER BY id LIMIT $3",
              Params().add(make_id("msg_", w.before + 1'000, 0, 0)).add(w.before).add(w.limit));
  std::vector<std::string> ids;
  for (int i = 0; i < old.rows(); ++i) ids.push_back(old.text(i, 0));
  if (!ids.empty()) {
    const std::string list = documents::strings_to_json(ids);
    for (const char* sql :
         {"DELETE FROM deliveries WHERE msg_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
          "DELETE FROM attempts WHERE msg_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
          "DELETE FROM expunged_messages WHERE msg_id IN (SELECT "
          "jsonb_array_elements_text($1::jsonb))",
          "DELETE FROM messages WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))"}) {
      db.exec(sql, Params().add(list));
    }
  }
  const int64_t rejections = range("inbound_rejections", "inr_", "");
  const int64_t events =
      db.exec(
            "DELETE FROM inbound_events WHERE (source_id, id) IN (SELECT "
            "source_id, id FROM inbound_events WHERE id < $1 AND received_at "
            "< $2 ORDER BY id LIMIT $3)",
            Params().add(make_id("ine_", w.before, 0, 0)).add(w.before).add(w.limit))
          .affected();
  const int64_t audit = range("audit_log", "aud_", "");
  result.affected =
      std::max({attempts, static_cast<int64_t>(ids.size()), rejections, events, audit});
}

}  // namespace hookd::pg

namespace hookd::pg {

void PostgresStore::apply_messages(const std::vector<const write::InsertMessage*>& ops,
                                   const std::vector<WriteResult*>& results) {
  std::vector<std::optional<std::string>> ids, apps, types, event_ids, channels, payloads, times;
  for (const auto* op : ops) {
    const Message& m = *op->message;
    ids.emplace_back(m.id);
    apps.emplace_back(m.app_id);
    types.emplace_back(m.event_type);
    event_ids.push_back(m.event_id.empty() ? std::nullopt : std::optional(m.event_id));
    channels.push_back(m.channels.empty() ? std::nullopt
                                          : std::optional(documents::strings_to_json(m.channels)));
    payloads.emplace_back(m.payload);
    times.emplace_back(std::to_string(m.created_at));
  }
  // A repeated eventId, also within this statement, inserts nothing: RETURNING names the rows
  // that went in, read when the statements reach the server, and the deliveries of the others
  // are not inserted.
  writer_db_->send(
      "INSERT INTO messages (id, app_id, event_type, event_id, channels, payload, created_at) "
      "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
      "$6::bytea[], $7::bigint[]) ON CONFLICT DO NOTHING RETURNING id",
      Params()
          .add(array_literal(ids))
          .add(array_literal(apps))
          .add(array_literal(types))
          .add(array_literal(event_ids))
          .add(array_literal(channels))
          .add(array_literal(payloads, true))
          .add(array_literal(times)),
      [ops, results](const Result& inserted) {
        std::unordered_set<std::string> landed;
        for (int i = 0; i < inserted.rows(); ++i) landed.insert(inserted.text(i, 0));
        for (size_t i = 0; i < ops.size(); ++i) {
          if (landed.contains(ops[i]->message->id)) continue;
          *results[i] = {WriteStatus::kConflict,
                         "eventId: a message with this eventId already exists"};
        }
      });
  DeliveryRows rows;
  // A delivering node inserts the deliveries of the endpoints it owns claimed by itself and hands
  // them to its dispatcher straight after the commit; until their lease ends no other node
  // claims them. The others are due at once for their owner's next claim.
  const uint64_t claim = live_claim();
  const auto view = claim != 0 ? live_view() : nullptr;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Message& m = *ops[i]->message;
    if (view) results[i]->claimed.reserve(ops[i]->endpoint_ids->size());
    for (const auto& endpoint_id : *ops[i]->endpoint_ids) {
      const bool owned = view && owns(*view, endpoint_id);
      if (view) results[i]->claimed.push_back(owned);
      left_for_others_ = left_for_others_ || !owned;
      rows.add(m, endpoint_id, owned ? claim : 0, owned ? options_.claim_lease_ms : 0);
    }
  }
  if (rows.empty()) return;
  writer_db_->send(
      "INSERT INTO deliveries (msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, "
      "updated_at, owner, claim) SELECT m, e, a, 1, 0, t, u, CASE WHEN c = 0 THEN NULL ELSE $7 "
      "END, c FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], "
      "$6::bigint[]) AS x(m, e, a, t, u, c) WHERE EXISTS (SELECT 1 FROM messages WHERE id = x.m) "
      "ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET "
      "status = 1, attempts = 0, next_attempt_at = excluded.next_attempt_at, updated_at = "
      "excluded.updated_at, owner = excluded.owner, claim = excluded.claim",
      rows.params().add(options_.node_id));
}

}  // namespace hookd::pg
