#include "store/postgres/readers.h"

#include <memory>
#include <unordered_map>

#include "store/documents.h"

namespace hookd::pg {

Message read_message(const Result& r, int row, int c) {
  Message m;
  m.id = r.text(row, c);
  m.app_id = r.text(row, c + 1);
  m.event_type = r.text(row, c + 2);
  m.event_id = r.text(row, c + 3);
  m.channels = documents::strings_from_json(r.text(row, c + 4));
  m.payload = r.bytes(row, c + 5);
  m.created_at = r.int64(row, c + 6);
  return m;
}

Attempt read_attempt(const Result& r, int row) {
  Attempt a;
  a.id = r.text(row, 0);
  a.msg_id = r.text(row, 1);
  a.endpoint_id = r.text(row, 2);
  a.app_id = r.text(row, 3);
  a.url = r.text(row, 4);
  a.status = static_cast<DeliveryStatus>(r.int64(row, 5));
  a.status_code = static_cast<int>(r.int64(row, 6));
  a.response = r.text(row, 7);
  a.duration_ms = r.int64(row, 8);
  a.trigger = static_cast<TriggerType>(r.int64(row, 9));
  a.error_class = r.text(row, 10);
  a.created_at = r.int64(row, 11);
  return a;
}

InboundEvent read_inbound(const Result& r, int row) {
  InboundEvent e;
  e.id = r.text(row, 0);
  e.source_id = r.text(row, 1);
  e.event_key = r.text(row, 2);
  e.customer_id = r.text(row, 3);
  e.name = r.text(row, 4);
  if (!r.null(row, 5)) e.score = static_cast<int>(r.int64(row, 5));
  e.ts = r.text(row, 6);
  e.localtime = r.text(row, 7);
  e.occurred_at = r.int64(row, 8);
  e.received_at = r.int64(row, 9);
  e.revision = r.int64(row, 10);
  e.content_type = r.text(row, 11);
  e.payload = r.bytes(row, 12);
  e.message_id = r.text(row, 13);
  return e;
}

AuditEntry read_audit(const Result& r, int row) {
  AuditEntry e;
  e.id = r.text(row, 0);
  e.at = r.int64(row, 1);
  e.token_id = r.text(row, 2);
  e.token_kind = r.text(row, 3);
  e.app_id = r.text(row, 4);
  e.method = r.text(row, 5);
  e.route = r.text(row, 6);
  e.path = r.text(row, 7);
  e.object_id = r.text(row, 8);
  e.changes_json = r.text(row, 9);
  e.status = static_cast<int>(r.int64(row, 10));
  return e;
}

std::vector<PendingDelivery> read_pending(const Result& r) {
  std::vector<PendingDelivery> page;
  std::unordered_map<std::string, MessagePtr> messages;  // fan-out rows share one message
  for (int i = 0; i < r.rows(); ++i) {
    PendingDelivery p;
    p.delivery.msg_id = r.text(i, 0);
    p.delivery.endpoint_id = r.text(i, 1);
    p.delivery.app_id = r.text(i, 2);
    p.delivery.attempts = static_cast<int>(r.int64(i, 3));
    p.delivery.next_attempt_at = r.int64(i, 4);
    MessagePtr& m = messages[p.delivery.msg_id];
    if (!m) {
      auto message = std::make_shared<Message>();
      message->id = p.delivery.msg_id;
      message->app_id = p.delivery.app_id;
      message->event_type = r.text(i, 5);
      message->event_id = r.text(i, 6);
      message->channels = documents::strings_from_json(r.text(i, 7));
      message->payload = r.bytes(i, 8);
      message->created_at = r.int64(i, 9);
      m = std::move(message);
    }
    p.message = m;
    page.push_back(std::move(p));
  }
  return page;
}

}  // namespace hookd::pg
