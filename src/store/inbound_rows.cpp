#include "store/inbound_rows.h"

#include <algorithm>

#include "common/ids.h"

namespace hookd::inbound_rows {

using sqlite::Statement;

RejectionLog::RejectionLog(sqlite3* writer, int sample)
    : sample_(std::max(1, sample)),
      insert_(writer,
              "INSERT INTO inbound_rejections (id, source_id, status, reason, received_at) VALUES "
              "(?1, ?2, ?3, ?4, ?5)"),
      count_(writer,
             "INSERT INTO inbound_rejection_counts (source_id, reason, count, last_at) VALUES "
             "(?1, ?2, 1, ?3) ON CONFLICT (source_id, reason) DO UPDATE SET count = count + 1, "
             "last_at = max(last_at, excluded.last_at)"),
      // Rejection ids sort by time: the newest `sample` come first in (source_id, id DESC).
      trim_(writer,
            "DELETE FROM inbound_rejections WHERE id IN (SELECT id FROM inbound_rejections WHERE "
            "source_id = ?1 ORDER BY id DESC LIMIT -1 OFFSET ?2)") {}

void RejectionLog::record(const InboundRejection& r) {
  insert_.bind(1, r.id)
      .bind(2, r.source_id)
      .bind(3, int64_t{r.status})
      .bind(4, r.reason)
      .bind(5, r.received_at)
      .run();
  count_.bind(1, r.source_id).bind(2, r.reason).bind(3, r.received_at).run();
  if (std::find(touched_.begin(), touched_.end(), r.source_id) == touched_.end()) {
    touched_.push_back(r.source_id);
  }
}

void RejectionLog::trim() {
  for (const auto& source_id : touched_) {
    trim_.bind(1, source_id).bind(2, int64_t{sample_}).run();
  }
  touched_.clear();
}

std::vector<InboundRejection> list_rejections(sqlite3* reader, const std::string& source_id,
                                              const Page& page) {
  std::string sql =
      "SELECT id, source_id, status, reason, received_at FROM inbound_rejections WHERE "
      "source_id = ?1";
  if (!page.iterator.empty()) sql += " AND id < ?2";
  sql += " ORDER BY id DESC LIMIT ?3";
  Statement st(reader, sql);
  st.bind(1, source_id).bind(3, int64_t{page.limit + 1});
  if (!page.iterator.empty()) st.bind(2, page.iterator);
  std::vector<InboundRejection> out;
  while (st.step()) {
    InboundRejection r;
    r.id = st.column_text(0);
    r.source_id = st.column_text(1);
    r.status = static_cast<int>(st.column_int(2));
    r.reason = st.column_text(3);
    r.received_at = st.column_int(4);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RejectionCount> rejection_counts(sqlite3* reader, const std::string& source_id) {
  Statement st(reader,
               "SELECT reason, count, last_at FROM inbound_rejection_counts WHERE source_id = ?1 "
               "ORDER BY count DESC, reason");
  st.bind(1, source_id);
  std::vector<RejectionCount> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_int(1), st.column_int(2)});
  return out;
}

int64_t prune(sqlite3* writer, int64_t before, int limit) {
  // Ids sort by creation time: an event's by its first receipt, a rejection's by its receipt.
  Statement rejections(writer,
                       "DELETE FROM inbound_rejections WHERE id IN (SELECT id FROM "
                       "inbound_rejections WHERE id < ?1 ORDER BY id LIMIT ?2)");
  const std::string rejection_bound = make_id("inr_", before, 0, 0);
  rejections.bind(1, rejection_bound).bind(2, int64_t{limit}).run();
  int64_t most = sqlite3_changes(writer);
  // An event replaced (sent again) since the cutoff is kept: its last receipt is recent.
  Statement sources(writer, "SELECT id FROM sources");
  std::vector<std::string> source_ids;
  while (sources.step()) source_ids.push_back(sources.column_text(0));
  Statement events(writer,
                   "DELETE FROM inbound_events WHERE source_id = ?1 AND id IN (SELECT id FROM "
                   "inbound_events WHERE source_id = ?1 AND id < ?2 AND received_at < ?3 ORDER "
                   "BY id LIMIT ?4)");
  const std::string event_bound = make_id("ine_", before, 0, 0);
  for (const auto& source_id : source_ids) {
    events.bind(1, source_id).bind(2, event_bound).bind(3, before).bind(4, int64_t{limit}).run();
    most = std::max<int64_t>(most, sqlite3_changes(writer));
  }
  return most;
}

}  // namespace hookd::inbound_rows
