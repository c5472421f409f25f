// The SQLite store's reads of one endpoint's deliveries (its statistics and its messages), and
// the expunging of contents. Reads run on a reader connection; the write on the writer thread.
#include <algorithm>

#include "common/ids.h"
#include "store/documents.h"
#include "store/sqlite/query.h"
#include "store/sqlite/store_impl.h"

namespace hookd::sqlite {

void SqliteStore::apply(const write::ExpungeContent& w, WriteResult& result) {
  // A stored payload of `{}` is what the API shows for a message without content.
  Statement st(writer_db_->handle(),
               w.attempt_id.empty()
                   ? "UPDATE messages SET payload = '{}' WHERE id = ?1 AND app_id = ?2"
                   : "UPDATE attempts SET response = '' WHERE id = ?1 AND app_id = ?2");
  st.bind(1, w.attempt_id.empty() ? w.msg_id : w.attempt_id).bind(2, w.app_id).run();
  result.affected = writer_db_->changes();
  if (w.attempt_id.empty() && result.affected > 0) {
    Statement mark(writer_db_->handle(),
                   "INSERT OR IGNORE INTO expunged_messages (msg_id) VALUES (?1)");
    mark.bind(1, w.msg_id).run();
  }
}

EndpointStats SqliteStore::endpoint_stats(const std::string& endpoint_id, int64_t since,
                                          int64_t until) {
  // Message ids encode their creation time to the millisecond the id was made, which may be
  // just before the message's created_at: the id range (with a second of slack) bounds the walk
  // along the deliveries' key, and created_at decides.
  const std::string low = make_id("msg_", std::max<int64_t>(0, since - 1'000), 0, 0);
  const std::string high = make_id("msg_", until + 1'000, 0, 0);
  Query query(
      "SELECT d.status, d.attempts > 0, COUNT(*) FROM deliveries d JOIN messages m ON m.id = "
      "d.msg_id WHERE d.msg_id >= ?1 AND d.msg_id < ?2 AND d.endpoint_id = ?3 AND m.created_at "
      ">= ?4 AND m.created_at < ?5 GROUP BY 1, 2");
  query.bind(1, low).bind(2, high).bind(3, endpoint_id).bind(4, since).bind(5, until);
  ReaderLease db(*this);
  EndpointStats stats;
  query.run(*db, [&stats](Statement& st) {
    while (st.step()) {
      Delivery d;
      d.status = static_cast<DeliveryStatus>(st.column_int(0));
      d.attempts = static_cast<int>(st.column_int(1));
      const int64_t count = st.column_int(2);
      stats.add(reported_status(d), count);
    }
    return 0;
  });
  return stats;
}

std::vector<EndpointMessage> SqliteStore::list_endpoint_messages(
    const std::string& endpoint_id, const EndpointMessageFilter& filter, const Page& page) {
  // As in endpoint_stats: ids with a second of slack bound the walk, created_at decides.
  constexpr int64_t kLastIdMs = (int64_t{1} << 48) - 1;  // ids hold 48 bits of milliseconds
  const int64_t before_ms = filter.before.value_or(kLastIdMs - 1'000);
  const int64_t after_ms = filter.after.value_or(-1);
  const std::string before = make_id("msg_", before_ms + 1'000, 0, 0);
  const std::string after = make_id("msg_", std::max<int64_t>(0, after_ms + 1 - 1'000), 0, 0);
  Query query(
      "SELECT d.msg_id, d.status, d.attempts, d.next_attempt_at, d.updated_at, m.app_id, "
      "m.event_type, m.event_id, m.channels, m.payload, m.created_at FROM deliveries d JOIN "
      "messages m ON m.id = d.msg_id WHERE d.endpoint_id = ?1 AND d.msg_id < ?2 AND "
      "d.msg_id >= ?3 AND m.created_at < ?6 AND m.created_at > ?7");
  query.bind(1, endpoint_id).bind(2, page.iterator.empty() ? before : page.iterator).bind(3, after);
  query.bind(6, before_ms).bind(7, after_ms);
  if (filter.status) query.add(reported_status_condition(*filter.status));
  query.add_in("m.event_type", filter.event_types, 10)
      .add_if(!filter.channel.empty(),
              " AND EXISTS (SELECT 1 FROM json_each(m.channels) WHERE value = ?8)", 8,
              filter.channel);
  query.add(" ORDER BY d.msg_id DESC LIMIT ?5").bind(5, int64_t{page.limit + 1});
  ReaderLease db(*this);
  return query.rows(*db, [&endpoint_id](const Statement& st) {
    EndpointMessage row;
    row.id = row.message.id = row.delivery.msg_id = st.column_text(0);
    row.delivery.endpoint_id = endpoint_id;
    row.delivery.status = static_cast<DeliveryStatus>(st.column_int(1));
    row.delivery.attempts = static_cast<int>(st.column_int(2));
    row.delivery.next_attempt_at = st.column_int(3);
    row.delivery.updated_at = st.column_int(4);
    row.delivery.app_id = row.message.app_id = st.column_text(5);
    row.message.event_type = st.column_text(6);
    row.message.event_id = st.column_text(7);
    row.message.channels = documents::strings_from_json(st.column_text(8));
    row.message.payload = st.column_text(9);
    row.message.created_at = st.column_int(10);
    return row;
  });
}

}  // namespace hookd::sqlite
