// The PostgreSQL store's reads of inbound events, customer summaries and rejections, each on a
// reader connection of the pool (any thread but an I/O thread).
#include "store/postgres/readers.h"
#include "store/postgres/store_impl.h"

namespace hookd::pg {

std::vector<InboundEvent> PostgresStore::list_inbound_events(const std::string& source_id,
                                                             const InboundEventFilter& filter,
                                                             const Page& page) {
  Sql sql(std::string("SELECT ") + kInboundColumns + " FROM inbound_events WHERE source_id = ");
  sql.param(source_id)
      .add_if(!page.iterator.empty(), " AND id < ", page.iterator)
      .add_if(!filter.customer_id.empty(), " AND customer_id = ", filter.customer_id)
      .add_if(!filter.name.empty(), " AND name = ", filter.name)
      .add_if(filter.since.has_value(), " AND occurred_at >= ", filter.since.value_or(0))
      .add_if(filter.until.has_value(), " AND occurred_at < ", filter.until.value_or(0));
  sql.add(" ORDER BY id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), read_inbound);
}

std::optional<InboundEvent> PostgresStore::get_inbound_event(const std::string& source_id,
                                                             const std::string& id_or_key) {
  Sql sql(std::string("SELECT ") + kInboundColumns + " FROM inbound_events WHERE source_id = ");
  sql.param(source_id).add(" AND (id = ").param(id_or_key).add(" OR event_key = ");
  sql.param(id_or_key).add(") ORDER BY id = ").param(id_or_key).add(" DESC LIMIT 1");
  const Result r = read(sql);
  if (r.rows() == 0) return std::nullopt;
  return read_inbound(r, 0);
}

std::vector<CustomerSummary> PostgresStore::customer_summaries(const std::string& source_id,
                                                               const std::string& customer_id,
                                                               const Page& page) {
  Sql sql(
      "SELECT customer_id, COUNT(*), AVG(score)::float8, (SELECT score FROM inbound_events l "
      "WHERE l.source_id = e.source_id AND l.customer_id = e.customer_id AND l.score IS NOT NULL "
      "ORDER BY l.occurred_at DESC, l.received_at DESC, l.id DESC LIMIT 1), MAX(occurred_at) "
      "FROM inbound_events e WHERE source_id = ");
  sql.param(source_id).add(" AND customer_id IS NOT NULL");
  sql.add_if(!page.iterator.empty(), " AND customer_id > ", page.iterator)
      .add_if(!customer_id.empty(), " AND customer_id = ", customer_id);
  sql.add(" GROUP BY source_id, customer_id ORDER BY customer_id LIMIT ")
      .param(int64_t{page.limit + 1});
  return read_all(read(sql), [](const Result& r, int i) {
    CustomerSummary c;
    c.customer_id = r.text(i, 0);
    c.event_count = r.int64(i, 1);
    if (!r.null(i, 2)) c.average_score = std::stod(r.text(i, 2));
    if (!r.null(i, 3)) c.latest_score = static_cast<int>(r.int64(i, 3));
    c.last_event_at = r.int64(i, 4);
    return c;
  });
}

std::vector<InboundRejection> PostgresStore::list_rejections(const std::string& source_id,
                                                             const Page& page) {
  Sql sql(
      "SELECT id, source_id, status, reason, received_at FROM inbound_rejections WHERE "
      "source_id = ");
  sql.param(source_id).add_if(!page.iterator.empty(), " AND id < ", page.iterator);
  sql.add(" ORDER BY id DESC LIMIT ").param(int64_t{page.limit + 1});
  return read_all(read(sql), [](const Result& r, int i) {
    InboundRejection x;
    x.id = r.text(i, 0);
    x.source_id = r.text(i, 1);
    x.status = static_cast<int>(r.int64(i, 2));
    x.reason = r.text(i, 3);
    x.received_at = r.int64(i, 4);
    return x;
  });
}

std::vector<RejectionCount> PostgresStore::rejection_counts(const std::string& source_id) {
  Sql sql("SELECT reason, count, last_at FROM inbound_rejection_counts WHERE source_id = ");
  sql.param(source_id).add(" ORDER BY count DESC, reason");
  return read_all(read(sql), [](const Result& r, int i) {
    return RejectionCount{r.text(i, 0), r.int64(i, 1), r.int64(i, 2)};
  });
}

}  // namespace hookd::pg
