#pragma once

// Rows of the PostgreSQL store's results made into the model's objects, for queries.cpp and
// inbound_queries.cpp. Pure functions; any thread.

#include <string>
#include <vector>

#include "store/postgres/pg.h"
#include "store/store.h"

namespace hookd::pg {

// The columns each reader expects, in order.
constexpr const char* kMessageColumns =
    "id, app_id, event_type, event_id, channels, payload, created_at";
constexpr const char* kAttemptColumns =
    "id, msg_id, endpoint_id, app_id, url, status, status_code, response, duration_ms, "
    "trigger_type, error_class, created_at";
constexpr const char* kInboundColumns =
    "id, source_id, event_key, customer_id, name, score, ts, \"localtime\", occurred_at, "
    "received_at, revision, content_type, payload, message_id";
constexpr const char* kAuditColumns =
    "id, at, token_id, token_kind, app_id, method, route, path, object_id, changes, status";
// (msg_id, endpoint_id, app_id, attempts, next_attempt_at, event_type, event_id, channels,
// payload, created_at): the delivery and its message.
constexpr const char* kPendingColumns =
    "d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.next_attempt_at, m.event_type, "
    "m.event_id, m.channels, m.payload, m.created_at";

Message read_message(const Result& r, int row, int first_col = 0);
Attempt read_attempt(const Result& r, int row);
InboundEvent read_inbound(const Result& r, int row);
AuditEntry read_audit(const Result& r, int row);
// Rows of kPendingColumns; rows of one message share one Message.
std::vector<PendingDelivery> read_pending(const Result& r);

template <typename Read>
auto read_all(const Result& r, Read read) {
  std::vector<decltype(read(r, 0))> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
  return out;
}

}  // namespace hookd::pg
