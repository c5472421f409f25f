// The PostgreSQL store's reads of messages, deliveries, attempts and the audit log, each on a
// reader connection of the pool (any thread but an I/O thread; a read blocks while every reader
// connection is lent out).
#include <algorithm>
#include <optional>

#include "common/ids.h"
#include "store/documents.h"
#include "store/postgres/readers.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {

namespace {

// An id of `prefix` made at `ms` (clamped at 0): ids encode their creation time, so a time
// range bounds a walk along an id index (a second of slack covers clock reads).
std::string id_at(const char* prefix, int64_t ms) {
  return make_id(prefix, std::max<int64_t>(0, ms), 0, 0);
}

// " AND the row was created in (after, before)", each bound when given: the id (of `prefix`,
// whose time it encodes, with a second of slack) bounds the walk and `time` decides.
void add_window(Sql& sql, const char* id, const char* time, const char* prefix,
                std::optional<int64_t> before, std::optional<int64_t> after) {
  if (before) {
    sql.add(" AND ").add(id).add(" < ").param(id_at(prefix, *before + 1'000));
    sql.add(" AND ").add(time).add(" < ").param(*before);
  }
  if (after) {
    sql.add(" AND ").add(id).add(" >= ").param(id_at(prefix, *after - 1'000));
    sql.add(" AND ").add(time).add(" > ").param(*after);
  }
}

// " AND <channels> carries `channel`", when given.
void add_channel(Sql& sql, const char* column, const std::string& channel) {
  if (channel.empty()) return;
  sql.add(" AND ").add(column).add("::jsonb ? ").param(channel);
}

}  // namespace

Result PostgresStore::read(const Sql& sql) {
  ReaderLease db(*this);
  for (int attempt = 0;; ++attempt) {
    try {
      return (*db).exec(sql);
    } catch (const Error& e) {
      if (!e.connection_lost() && (*db).ok()) throw;
      // A pooled connection learns that the server restarted only when it is used: once, it
      // connects again and runs the statement anew.
      if (attempt > 0 || !(*db).reset()) throw StoreUnavailable(e.what());
    }
  }
}

CatalogSnapshot PostgresStore::load_catalog() {
  const auto docs = [this](const char* sql) {
    const Result r = read(Sql(sql));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
    return out;
  };
  CatalogSnapshot s;
  for (const auto& d : docs("SELECT doc FROM applications ORDER BY id")) {
    s.apps.push_back(documents::application_from_doc(d));
  }
  for (const auto& d : docs("SELECT doc FROM event_types ORDER BY name")) {
    s.event_types.push_back(documents::event_type_from_doc(d));
  }
  for (const auto& d : docs("SELECT doc FROM endpoints ORDER BY id")) {
    s.endpoints.push_back(documents::endpoint_from_doc(d, options_.secrets));
  }
  for (const auto& d : docs("SELECT doc FROM sources ORDER BY id")) {
    s.sources.push_back(documents::source_from_doc(d, options_.secrets));
  }
  for (const auto& d : docs("SELECT doc FROM api_tokens ORDER BY id")) {
    s.tokens.push_back(documents::token_from_doc(d));
  }
  for (const auto& d : docs("SELECT doc FROM journeys ORDER BY id")) {
    s.journeys.push_back(documents::journey_from_doc(d));
  }
  return s;
}

std::vector<Message> PostgresStore::list_messages(const std::string& app_id,
                                                  const MessageFilter& filter, const Page& page) {
  Sql sql(std::string("SELECT ") + kMessageColumns + " FROM messages WHERE app_id = ");
  sql.param(app_id).add_if(!page.iterator.empty(), " AND id < ", page.iterator);
  sql.add_in("event_type", filter.event_types);
  add_channel(sql, "channels", filter.channel);
  add_window(sql, "id", "created_at", "msg_", filter.before, filter.after);
  sql.add(" ORDER BY id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), [](const Result& r, int i) { return read_message(r, i); });
}

std::optional<Message> PostgresStore::get_message(const std::string& app_id,
                                                  const std::string& msg_id) {
  Sql sql(std::string("SELECT ") + kMessageColumns +
          ", EXISTS (SELECT 1 FROM expunged_messages x WHERE x.msg_id = messages.id) FROM "
          "messages WHERE app_id = ");
  sql.param(app_id).add(" AND (id = ").param(msg_id).add(" OR event_id = ").param(msg_id);
  sql.add(") LIMIT 1");
  const Result r = read(sql);
  if (r.rows() == 0) return std::nullopt;
  Message m = read_message(r, 0);
  m.content_expunged = r.text(0, 7) == "t";
  return m;
}

std::vector<Attempt> PostgresStore::list_attempts(const std::string& app_id,
                                                  const AttemptFilter& filter, const Page& page) {
  Sql sql(std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE app_id = ");
  sql.param(app_id)
      .add_if(!filter.msg_id.empty(), " AND msg_id = ", filter.msg_id)
      .add_if(!filter.endpoint_id.empty(), " AND endpoint_id = ", filter.endpoint_id)
      .add_if(filter.status.has_value(), " AND status = ", filter.status.value_or(0))
      .add_if(!page.iterator.empty(), " AND id < ", page.iterator);
  if (filter.status_code_class) {
    const int c = *filter.status_code_class;
    if (c == 0) {
      sql.add(" AND status_code = 0");
    } else {
      sql.add(" AND status_code BETWEEN ").param(c).add(" AND ").param(c + 99);
    }
  }
  add_window(sql, "id", "created_at", "atmpt_", filter.before, filter.after);
  if (!filter.event_types.empty() || !filter.channel.empty()) {
    sql.add(" AND EXISTS (SELECT 1 FROM messages m WHERE m.id = attempts.msg_id");
    sql.add_in("m.event_type", filter.event_types);
    add_channel(sql, "m.channels", filter.channel);
    sql.add(")");
  }
  sql.add(" ORDER BY id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), read_attempt);
}

std::optional<Attempt> PostgresStore::get_attempt(const std::string& app_id,
                                                  const std::string& attempt_id) {
  Sql sql(std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE app_id = ");
  sql.param(app_id).add(" AND id = ").param(attempt_id);
  const Result r = read(sql);
  if (r.rows() == 0) return std::nullopt;
  return read_attempt(r, 0);
}

std::vector<Delivery> PostgresStore::list_deliveries_of_message(const std::string& msg_id) {
  Sql sql(
      "SELECT msg_id, endpoint_id, app_id, status, attempts, next_attempt_at, updated_at FROM "
      "deliveries WHERE msg_id = ");
  sql.param(msg_id).add(" ORDER BY endpoint_id");
  return read_all(read(sql), [](const Result& r, int i) {
    Delivery d;
    d.msg_id = r.text(i, 0);
    d.endpoint_id = r.text(i, 1);
    d.app_id = r.text(i, 2);
    d.status = static_cast<DeliveryStatus>(r.int64(i, 3));
    d.attempts = static_cast<int>(r.int64(i, 4));
    d.next_attempt_at = r.int64(i, 5);
    d.updated_at = r.int64(i, 6);
    return d;
  });
}

std::vector<PendingDelivery> PostgresStore::pending_page(
    int64_t due_before, const PendingCursor& after, int limit,
    const std::vector<std::string>& skip_endpoints) {
  // Keyset pagination over the partial index of pending deliveries: each page is one seek.
  Sql sql(std::string("SELECT ") + kPendingColumns +
          " FROM deliveries d JOIN messages m ON m.id = d.msg_id WHERE d.status = 1 AND "
          "d.next_attempt_at <= ");
  sql.param(due_before).add(" AND (d.next_attempt_at, d.msg_id, d.endpoint_id) > (");
  sql.param(after.next_attempt_at == INT64_MIN ? int64_t{-1} : after.next_attempt_at);
  sql.add(", ").param(after.msg_id).add(", ").param(after.endpoint_id).add(")");
  if (!skip_endpoints.empty()) {
    sql.add(" AND NOT (d.endpoint_id = ANY (SELECT jsonb_array_elements_text(");
    sql.param(documents::strings_to_json(skip_endpoints)).add("::jsonb)))");
  }
  sql.add(" ORDER BY d.next_attempt_at, d.msg_id, d.endpoint_id LIMIT ").param(limit);
  return read_pending(read(sql));
}

std::vector<PendingDelivery> PostgresStore::failed_deliveries(
    const std::string& app_id, const std::string& endpoint_id,
    const std::vector<std::string>& event_types, int64_t since, int64_t until, int limit) {
  Sql sql(std::string("SELECT ") + kPendingColumns +
          " FROM deliveries d JOIN messages m ON m.id = d.msg_id WHERE d.app_id = ");
  sql.param(app_id).add(" AND d.status = 2 AND d.msg_id >= ").param(id_at("msg_", since - 1'000));
  sql.add(" AND d.msg_id < ").param(id_at("msg_", until + 1'000));
  sql.add(" AND m.created_at >= ").param(since).add(" AND m.created_at < ").param(until);
  sql.add(" AND NOT EXISTS (SELECT 1 FROM expunged_messages x WHERE x.msg_id = d.msg_id)");
  sql.add_if(!endpoint_id.empty(), " AND d.endpoint_id = ", endpoint_id);
  sql.add_in("m.event_type", event_types);
  sql.add(" ORDER BY d.msg_id, d.endpoint_id LIMIT ").param(limit);
  return read_pending(read(sql));
}

EndpointStats PostgresStore::endpoint_stats(const std::string& endpoint_id, int64_t since,
                                            int64_t until) {
  Sql sql(
      "SELECT d.status, d.attempts > 0, COUNT(*) FROM deliveries d JOIN messages m ON m.id = "
      "d.msg_id WHERE d.endpoint_id = ");
  sql.param(endpoint_id).add(" AND d.msg_id >= ").param(id_at("msg_", since - 1'000));
  sql.add(" AND d.msg_id < ").param(id_at("msg_", until + 1'000));
  sql.add(" AND m.created_at >= ").param(since).add(" AND m.created_at < ").param(until);
  sql.add(" GROUP BY 1, 2");
  const Result r = read(sql);
  EndpointStats stats;
  for (int i = 0; i < r.rows(); ++i) {
    Delivery d;
    d.status = static_cast<DeliveryStatus>(r.int64(i, 0));
    d.attempts = r.text(i, 1) == "t" ? 1 : 0;
    const int64_t count = r.int64(i, 2);
    stats.add(reported_status(d), count);
  }
  return stats;
}

std::vector<EndpointMessage> PostgresStore::list_endpoint_messages(
    const std::string& endpoint_id, const EndpointMessageFilter& filter, const Page& page) {
  Sql sql(
      "SELECT d.msg_id, d.status, d.attempts, d.next_attempt_at, d.updated_at, m.app_id, "
      "m.event_type, m.event_id, m.channels, m.payload, m.created_at FROM deliveries d JOIN "
      "messages m ON m.id = d.msg_id WHERE d.endpoint_id = ");
  sql.param(endpoint_id).add_if(!page.iterator.empty(), " AND d.msg_id < ", page.iterator);
  add_window(sql, "d.msg_id", "m.created_at", "msg_", filter.before, filter.after);
  if (filter.status) sql.add(reported_status_condition(*filter.status));
  sql.add_in("m.event_type", filter.event_types);
  add_channel(sql, "m.channels", filter.channel);
  sql.add(" ORDER BY d.msg_id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), [&endpoint_id](const Result& r, int i) {
    EndpointMessage row;
    row.id = row.message.id = row.delivery.msg_id = r.text(i, 0);
    row.delivery.endpoint_id = endpoint_id;
    row.delivery.status = static_cast<DeliveryStatus>(r.int64(i, 1));
    row.delivery.attempts = static_cast<int>(r.int64(i, 2));
    row.delivery.next_attempt_at = r.int64(i, 3);
    row.delivery.updated_at = r.int64(i, 4);
    row.delivery.app_id = row.message.app_id = r.text(i, 5);
    row.message.event_type = r.text(i, 6);
    row.message.event_id = r.text(i, 7);
    row.message.channels = documents::strings_from_json(r.text(i, 8));
    row.message.payload = r.bytes(i, 9);
    row.message.created_at = r.int64(i, 10);
    return row;
  });
}

std::vector<AuditEntry> PostgresStore::list_audit(const AuditFilter& filter, const Page& page) {
  Sql sql(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE id >= ");
  sql.param(id_at("aud_", filter.since.value_or(0)))
      .add_if(!filter.app_id.empty(), " AND app_id = ", filter.app_id)
      .add_if(!filter.object_id.empty(), " AND object_id = ", filter.object_id)
      .add_if(filter.until.has_value(), " AND id < ", id_at("aud_", filter.until.value_or(0)))
      .add_if(!page.iterator.empty(), " AND id < ", page.iterator);
  sql.add(" ORDER BY id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), read_audit);
}

}  // namespace hookd::pg
