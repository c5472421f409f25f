// The SQLite store's reads, each on a reader connection of the pool (any thread but an I/O
// thread; a read blocks while every reader connection is lent out).
#include <algorithm>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>

#include "common/ids.h"
#include "store/documents.h"
#include "store/sqlite/query.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {
namespace {

constexpr const char* kMessageColumns =
    "id, app_id, event_type, event_id, channels, payload, created_at";

Message read_message(const Statement& st) {
  Message m;
  m.id = st.column_text(0);
  m.app_id = st.column_text(1);
  m.event_type = st.column_text(2);
  m.event_id = st.column_text(3);
  m.channels = documents::strings_from_json(st.column_text(4));
  m.payload = st.column_text(5);
  m.created_at = st.column_int(6);
  return m;
}

constexpr const char* kAttemptColumns =
    "id, msg_id, endpoint_id, app_id, url, status, status_code, response, duration_ms, "
    "trigger_type, error_class, created_at";

Attempt read_attempt(const Statement& st) {
  Attempt a;
  a.id = st.column_text(0);
  a.msg_id = st.column_text(1);
  a.endpoint_id = st.column_text(2);
  a.app_id = st.column_text(3);
  a.url = st.column_text(4);
  a.status = static_cast<DeliveryStatus>(st.column_int(5));
  a.status_code = static_cast<int>(st.column_int(6));
  a.response = st.column_text(7);
  a.duration_ms = st.column_int(8);
  a.trigger = static_cast<TriggerType>(st.column_int(9));
  a.error_class = st.column_text(10);
  a.created_at = st.column_int(11);
  return a;
}

Delivery read_delivery(const Statement& st) {
  Delivery d;
  d.msg_id = st.column_text(0);
  d.endpoint_id = st.column_text(1);
  d.app_id = st.column_text(2);
  d.status = static_cast<DeliveryStatus>(st.column_int(3));
  d.attempts = static_cast<int>(st.column_int(4));
  d.next_attempt_at = st.column_int(5);
  d.updated_at = st.column_int(6);
  return d;
}

constexpr const char* kInboundColumns =
    "id, source_id, event_key, customer_id, name, score, ts, localtime, occurred_at, "
    "received_at, revision, content_type, payload, message_id";

InboundEvent read_inbound(const Statement& st) {
  InboundEvent e;
  e.id = st.column_text(0);
  e.source_id = st.column_text(1);
  e.event_key = st.column_text(2);
  e.customer_id = st.column_text(3);
  e.name = st.column_text(4);
  if (!st.column_is_null(5)) e.score = static_cast<int>(st.column_int(5));
  e.ts = st.column_text(6);
  e.localtime = st.column_text(7);
  e.occurred_at = st.column_int(8);
  e.received_at = st.column_int(9);
  e.revision = st.column_int(10);
  e.content_type = st.column_text(11);
  e.payload = st.column_text(12);
  e.message_id = st.column_text(13);
  return e;
}

CustomerSummary read_customer_summary(const Statement& st) {
  CustomerSummary c;
  c.customer_id = st.column_text(0);
  c.event_count = st.column_int(1);
  if (!st.column_is_null(2)) c.average_score = st.column_double(2);
  if (!st.column_is_null(3)) c.latest_score = static_cast<int>(st.column_int(3));
  c.last_event_at = st.column_int(4);
  return c;
}

// Rows of (msg_id, endpoint_id, app_id, attempts, next_attempt_at, event_type, event_id,
// channels, payload, created_at); rows of one message share one Message.
std::vector<PendingDelivery> read_pending_rows(Statement& st) {
  std::vector<PendingDelivery> page;
  std::unordered_map<std::string, MessagePtr> messages;  // fan-out rows share one message
  while (st.step()) {
    PendingDelivery p;
    p.delivery.msg_id = st.column_text(0);
    p.delivery.endpoint_id = st.column_text(1);
    p.delivery.app_id = st.column_text(2);
    p.delivery.attempts = static_cast<int>(st.column_int(3));
    p.delivery.next_attempt_at = st.column_int(4);
    MessagePtr& m = messages[p.delivery.msg_id];
    if (!m) {
      auto message = std::make_shared<Message>();
      message->id = p.delivery.msg_id;
      message->app_id = p.delivery.app_id;
      message->event_type = st.column_text(5);
      message->event_id = st.column_text(6);
      message->channels = documents::strings_from_json(st.column_text(7));
      message->payload = st.column_text(8);
      message->created_at = st.column_int(9);
      m = std::move(message);
    }
    p.message = m;
    page.push_back(std::move(p));
  }
  return page;
}

// One column of documents, each made by from_doc(text).
template <typename FromDoc>
auto read_docs(sqlite3* db, const char* sql, FromDoc from_doc) {
  return Query(sql).rows(db, [&](const Statement& st) { return from_doc(st.column_text(0)); });
}

}  // namespace

CatalogSnapshot SqliteStore::load_catalog() {
  const auto endpoint = [this](const std::string& doc) {
    return documents::endpoint_from_doc(doc, options_.secrets);
  };
  const auto source = [this](const std::string& doc) {
    return documents::source_from_doc(doc, options_.secrets);
  };
  ReaderLease db(*this);
  CatalogSnapshot snapshot;
  snapshot.apps =
      read_docs(*db, "SELECT doc FROM applications ORDER BY id", documents::application_from_doc);
  snapshot.event_types =
      read_docs(*db, "SELECT doc FROM event_types ORDER BY name", documents::event_type_from_doc);
  snapshot.endpoints = read_docs(*db, "SELECT doc FROM endpoints ORDER BY id", endpoint);
  snapshot.sources = read_docs(*db, "SELECT doc FROM sources ORDER BY id", source);
  snapshot.tokens =
      read_docs(*db, "SELECT doc FROM api_tokens ORDER BY id", documents::token_from_doc);
  snapshot.journeys =
      read_docs(*db, "SELECT doc FROM journeys ORDER BY id", documents::journey_from_doc);
  return snapshot;
}

std::vector<Message> SqliteStore::list_messages(const std::string& app_id,
                                                const MessageFilter& filter, const Page& page) {
  // Two parts in one statement (one snapshot), each ordered by id: the messages already in
  // message_apps, walked newest first along its key, and the newest rows not merged yet, which
  // are few (about message_index_batch, twice that at most). SQLite merges the two ordered parts
  // and stops at the limit; UNION, since a merge under way has put some of the rows above the
  // mark in message_apps already. The first part selects x.id (equal to m.id) so that its order is
  // the key's.
  // `before` and `after` bound the walk by id (ids encode their creation time, give or take a
  // second of slack), and created_at decides.
  const std::string before_id =
      filter.before ? make_id("msg_", *filter.before + 1'000, 0, 0) : std::string();
  const std::string after_id =
      filter.after ? make_id("msg_", std::max<int64_t>(0, *filter.after - 1'000), 0, 0)
                   : std::string();
  const auto conditions = [&](Query& q, const char* id, const char* m) {
    const std::string col = m;
    q.add_if(!page.iterator.empty(), std::string(" AND ") + id + " < ?2", 2, page.iterator)
        .add_in(col + "event_type", filter.event_types, 10)
        .add_if(!filter.channel.empty(),
                " AND EXISTS (SELECT 1 FROM json_each(" + col + "channels) WHERE value = ?4)", 4,
                filter.channel)
        .add_if(filter.before.has_value(), std::string(" AND ") + id + " < ?5", 5, before_id)
        .add_if(filter.before.has_value(), " AND " + col + "created_at < ?6", 6,
                filter.before.value_or(0))
        .add_if(filter.after.has_value(), std::string(" AND ") + id + " >= ?7", 7, after_id)
        .add_if(filter.after.has_value(), " AND " + col + "created_at > ?8", 8,
                filter.after.value_or(0));
  };
  // Only ids are merged and sorted (the rows above the mark may be thousands: sorting them with
  // their payloads took 60 ms for 16,000); the page's rows are then read by id.
  Query query(select(kMessageColumns,
                     " FROM messages WHERE id IN (SELECT x.id FROM message_apps x JOIN "
                     "messages m ON m.id = x.id WHERE x.app_id = ?1"));
  conditions(query, "x.id", "m.");
  query.add(std::string(" UNION SELECT id FROM ") + kUnmergedMessages + " AND app_id = ?1");
  conditions(query, "id", "");
  query.add(" ORDER BY 1 DESC LIMIT ?3) ORDER BY id DESC");
  query.bind(1, app_id).bind(3, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, read_message);
}

std::optional<Message> SqliteStore::get_message(const std::string& app_id,
                                                const std::string& msg_id) {
  Query query(
      select(kMessageColumns, " FROM messages WHERE app_id = ?1 AND (id = ?2 OR event_id = ?2)"));
  query.bind(1, app_id).bind(2, msg_id);
  ReaderLease db(*this);
  auto message = query.first(*db, read_message);
  if (message) {
    Query expunged("SELECT 1 FROM expunged_messages WHERE msg_id = ?1");
    expunged.bind(1, message->id);
    message->content_expunged = expunged.first(*db, [](const Statement&) { return 1; }).has_value();
  }
  return message;
}

std::vector<Attempt> SqliteStore::list_attempts(const std::string& app_id,
                                                const AttemptFilter& filter, const Page& page) {
  // Attempt ids encode their time as message ids do: `before` and `after` bound the walk by id.
  const std::string before_id =
      filter.before ? make_id("atmpt_", *filter.before + 1'000, 0, 0) : std::string();
  const std::string after_id =
      filter.after ? make_id("atmpt_", std::max<int64_t>(0, *filter.after - 1'000), 0, 0)
                   : std::string();
  const int64_t code_class = filter.status_code_class.value_or(0);
  Query query(select(kAttemptColumns, " FROM attempts WHERE app_id = ?1"));
  query.bind(1, app_id)
      .add_if(!filter.msg_id.empty(), " AND msg_id = ?2", 2, filter.msg_id)
      .add_if(!filter.endpoint_id.empty(), " AND endpoint_id = ?3", 3, filter.endpoint_id)
      .add_if(filter.status.has_value(), " AND status = ?4", 4, int64_t{filter.status.value_or(0)})
      .add_if(!page.iterator.empty(), " AND id < ?5", 5, page.iterator)
      .add_if(filter.status_code_class.has_value() && code_class == 0, " AND status_code = ?7", 7,
              code_class)
      .add_if(code_class > 0, " AND status_code BETWEEN ?7 AND ?7 + 99", 7, code_class)
      .add_if(filter.before.has_value(), " AND id < ?8", 8, before_id)
      .add_if(filter.before.has_value(), " AND created_at < ?9", 9, filter.before.value_or(0))
      .add_if(filter.after.has_value(), " AND id >= ?10", 10, after_id)
      .add_if(filter.after.has_value(), " AND created_at > ?11", 11, filter.after.value_or(0));
  if (!filter.event_types.empty() || !filter.channel.empty()) {
    query.add(" AND EXISTS (SELECT 1 FROM messages m WHERE m.id = attempts.msg_id")
        .add_in("m.event_type", filter.event_types, 20)
        .add_if(!filter.channel.empty(),
                " AND EXISTS (SELECT 1 FROM json_each(m.channels) WHERE value = ?12)", 12,
                filter.channel)
        .add(")");
  }
  query.add(" ORDER BY id DESC LIMIT ?6").bind(6, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, read_attempt);
}

std::optional<Attempt> SqliteStore::get_attempt(const std::string& app_id,
                                                const std::string& attempt_id) {
  Query query(select(kAttemptColumns, " FROM attempts WHERE app_id = ?1 AND id = ?2"));
  query.bind(1, app_id).bind(2, attempt_id);
  ReaderLease db(*this);
  return query.first(*db, read_attempt);
}

std::vector<Delivery> SqliteStore::list_deliveries_of_message(const std::string& msg_id) {
  Query query(
      "SELECT msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, updated_at "
      "FROM deliveries WHERE msg_id = ?1 ORDER BY endpoint_id");
  query.bind(1, msg_id);
  ReaderLease db(*this);
  return query.rows(*db, read_delivery);
}

std::vector<PendingDelivery> SqliteStore::pending_page(
    int64_t due_before, const PendingCursor& after, int limit,
    const std::vector<std::string>& skip_endpoints) {
  // Keyset pagination over the partial index of pending deliveries: each page is one seek.
  // Prepared once per reader connection: the dispatcher's loader runs it all the time.
  static const std::string kSql =
      "SELECT d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.next_attempt_at, "
      "m.event_type, m.event_id, m.channels, m.payload, m.created_at FROM deliveries d "
      "JOIN messages m ON m.app_id = d.app_id AND m.id = d.msg_id WHERE d.status = 1 AND "
      "d.next_attempt_at <= ?4 AND (d.next_attempt_at, d.msg_id, d.endpoint_id) > "
      "(?1, ?2, ?3) AND d.endpoint_id NOT IN (SELECT value FROM json_each(?6)) "
      "ORDER BY d.next_attempt_at, d.msg_id, d.endpoint_id LIMIT ?5";
  ReaderLease db(*this);
  Statement& st = db.connection().cached(kSql);
  st.bind(1, after.next_attempt_at).bind(2, after.msg_id).bind(3, after.endpoint_id);
  const std::string skip = documents::strings_to_json(skip_endpoints);
  st.bind(4, due_before).bind(5, int64_t{limit}).bind(6, skip);
  std::vector<PendingDelivery> page = read_pending_rows(st);
  st.reset();  // ends the read snapshot, so checkpoints can proceed
  return page;
}

std::vector<InboundEvent> SqliteStore::list_inbound_events(const std::string& source_id,
                                                           const InboundEventFilter& filter,
                                                           const Page& page) {
  Query query(select(kInboundColumns, " FROM inbound_events WHERE source_id = ?1"));
  query.bind(1, source_id)
      .add_if(!page.iterator.empty(), " AND id < ?2", 2, page.iterator)
      .add_if(!filter.customer_id.empty(), " AND customer_id = ?4", 4, filter.customer_id)
      .add_if(!filter.name.empty(), " AND name = ?5", 5, filter.name)
      .add_if(filter.since.has_value(), " AND occurred_at >= ?6", 6, filter.since.value_or(0))
      .add_if(filter.until.has_value(), " AND occurred_at < ?7", 7, filter.until.value_or(0))
      .add(" ORDER BY id DESC LIMIT ?3")
      .bind(3, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, read_inbound);
}

std::optional<InboundEvent> SqliteStore::get_inbound_event(const std::string& source_id,
                                                           const std::string& id_or_key) {
  Query query(select(kInboundColumns,
                     " FROM inbound_events WHERE source_id = ?1 AND (id = ?2 OR event_key = "
                     "?2) ORDER BY id = ?2 DESC LIMIT 1"));
  query.bind(1, source_id).bind(2, id_or_key);
  ReaderLease db(*this);
  return query.first(*db, read_inbound);
}

std::vector<CustomerSummary> SqliteStore::customer_summaries(const std::string& source_id,
                                                             const std::string& customer_id,
                                                             const Page& page) {
  Query query(
      "SELECT customer_id, COUNT(*), AVG(score), (SELECT score FROM inbound_events l WHERE "
      "l.source_id = e.source_id AND l.customer_id = e.customer_id AND l.score IS NOT NULL "
      "ORDER BY l.occurred_at DESC, l.received_at DESC, l.id DESC LIMIT 1), MAX(occurred_at) "
      "FROM inbound_events e WHERE source_id = ?1 AND customer_id IS NOT NULL");
  query.bind(1, source_id)
      .add_if(!page.iterator.empty(), " AND customer_id > ?2", 2, page.iterator)
      .add_if(!customer_id.empty(), " AND customer_id = ?4", 4, customer_id)
      .add(" GROUP BY customer_id ORDER BY customer_id LIMIT ?3")
      .bind(3, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, read_customer_summary);
}

std::vector<InboundRejection> SqliteStore::list_rejections(const std::string& source_id,
                                                           const Page& page) {
  ReaderLease db(*this);
  return inbound_rows::list_rejections(*db, source_id, page);
}

std::vector<RejectionCount> SqliteStore::rejection_counts(const std::string& source_id) {
  ReaderLease db(*this);
  return inbound_rows::rejection_counts(*db, source_id);
}

std::vector<PendingDelivery> SqliteStore::failed_deliveries(
    const std::string& app_id, const std::string& endpoint_id,
    const std::vector<std::string>& event_types, int64_t since, int64_t until, int limit) {
  // Message ids encode their creation time; a second of slack either side covers clock reads.
  const std::string low = make_id("msg_", std::max<int64_t>(0, since - 1'000), 0, 0);
  const std::string high = make_id("msg_", until + 1'000, 0, 0);
  const std::string types = documents::strings_to_json(event_types);
  Query query(
      "SELECT d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.next_attempt_at, m.event_type, "
      "m.event_id, m.channels, m.payload, m.created_at FROM deliveries d JOIN messages m ON "
      "m.app_id = d.app_id AND m.id = d.msg_id WHERE d.app_id = ?1 AND d.status = 2 AND "
      "d.msg_id >= ?2 AND d.msg_id < ?3 AND m.created_at >= ?4 AND m.created_at < ?5 AND "
      "d.msg_id NOT IN (SELECT msg_id FROM expunged_messages)");
  query.bind(1, app_id).bind(2, low).bind(3, high).bind(4, since).bind(5, until);
  query.add_if(!endpoint_id.empty(), " AND d.endpoint_id = ?6", 6, endpoint_id)
      .add_if(!event_types.empty(), " AND m.event_type IN (SELECT value FROM json_each(?7))", 7,
              types)
      .add(" ORDER BY d.msg_id, d.endpoint_id LIMIT ?8")
      .bind(8, int64_t{limit});
  ReaderLease db(*this);
  return query.run(*db, read_pending_rows);
}

}  // namespace hookd::sqlite
