// POST /webhook/{webhookId}: events from third parties (docs/inbound.md).
#include <spdlog/spdlog.h>

#include "api/api.h"
#include "api/json_io.h"
#include "common/ids.h"
#include "common/time.h"
#include "inbound/inbound.h"
#include "signing/signature.h"

namespace hookd::api {

namespace {

HttpResponse refuse(const inbound::Refusal& r) {
  return error_response(r.status, r.code, r.problem.message());
}

// A 401, logged for the source's owner; the event is not stored.
void reject(ApiContext& ctx, const InboundSource& src, const std::string& reason,
            const Responder& respond) {
  InboundRejection rejection;
  rejection.id = new_id("inr_");
  rejection.source_id = src.id;
  rejection.status = 401;
  rejection.reason = reason;
  rejection.received_at = now_unix_ms();
  ctx.metrics.inbound_rejections.fetch_add(1, std::memory_order_relaxed);
  ctx.store.write(write::RecordRejection{std::move(rejection)}, nullptr);
  respond(error_response(401, "authentication_failed", reason));
}

// The de-duplication key of an event from a generic source, empty when it has none.
std::string generic_key(const InboundSource& src, const HttpRequest& req, const std::string& json) {
  std::string header = src.id_header;
  if (header.empty() && src.id_field.empty() &&
      src.verification.type == VerificationType::kStandardWebhooks) {
    header = "webhook-id";
  }
  if (!header.empty()) {
    for (auto& c : header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string* value = req.header(header);
    return value ? value->substr(0, 256) : std::string();
  }
  if (!src.id_field.empty()) {
    return inbound::top_level_key(json, src.id_field).value_or("").substr(0, 256);
  }
  return {};
}

std::string render_receipt(const InboundEvent& event, const WriteResult& result) {
  const bool replaced = !result.duplicate && result.revision > 1;
  json body{{"id", result.stored_id},
            {"eventId", event.event_key.empty() ? json(nullptr) : json(event.event_key)},
            {"status", result.duplicate ? "duplicate"
                       : replaced       ? "replaced"
                                        : "created"},
            {"replaced", replaced},
            {"revision", result.revision}};
  if (!event.message_id.empty() && !result.duplicate) body["messageId"] = event.message_id;
  return dump(body);
}

// A Skalin event of a source that feeds activities: an activity of the contact `customerId`
// named `event.name`, queued before the event so that it is durable when the event is
// acknowledged. Its id comes from the eventId when there is one (a re-sent event is a repeat).
void store_as_activity(ApiContext& ctx, const InboundSource& src, const InboundEvent& event) {
  if (event.customer_id.empty() || event.name.empty()) return;
  Activity a;
  a.id = "inbound:" + src.id + ":" + (event.event_key.empty() ? event.id : event.event_key);
  a.app_id = src.app_id;
  a.contact_key = event.customer_id;
  a.name = event.name;
  a.params = event.payload;
  a.occurred_at = event.occurred_at;
  a.received_at = event.received_at;
  queue_activity(ctx, std::move(a));
}

}  // namespace

void receive_webhook(ApiContext& ctx, HttpRequest&& req, const std::string& webhook_id,
                     Responder respond) {
  const SourcePtr src = ctx.catalog.source_by_webhook_id(webhook_id);
  if (!src)
    return respond(error_response(404, "not_found", "webhook " + webhook_id + " not found"));

  if (!src->client_id.empty()) {
    auto it = req.query.find("client_id");
    if (it == req.query.end() || it->second.empty()) {
      return reject(ctx, *src, "client_id: required as a query parameter", respond);
    }
    if (!signing::constant_time_equal(it->second, src->client_id)) {
      return reject(ctx, *src, "client_id: does not match this webhook", respond);
    }
  }
  const int64_t limit = src->max_body_bytes > 0 ? src->max_body_bytes : ctx.options.max_body_bytes;
  if (static_cast<int64_t>(req.body.size()) > limit) {
    return respond(error_response(413, "payload_too_large",
                                  "body: larger than " + std::to_string(limit) + " bytes"));
  }
  const int64_t now_ms = now_unix_ms();
  const auto problem = inbound::verify(
      src->verification, [&req](std::string_view name) { return req.header(name); }, req.body,
      now_ms / 1000);
  if (problem) return reject(ctx, *src, problem->message(), respond);

  const std::string* content_type = req.header("content-type");
  InboundEvent event;
  if (auto refusal = inbound::decode_body(content_type ? *content_type : "", req.body,
                                          event.payload, event.content_type)) {
    return respond(refuse(*refusal));
  }
  event.occurred_at = now_ms;
  if (src->kind == SourceKind::kSkalin) {
    inbound::SkalinEvent fields;
    if (auto refusal = inbound::parse_skalin(event.payload, fields))
      return respond(refuse(*refusal));
    event.event_key = std::move(fields.event_id);
    event.customer_id = std::move(fields.customer_id);
    event.name = std::move(fields.name);
    event.score = fields.score;
    event.ts = std::move(fields.ts);
    event.localtime = std::move(fields.localtime);
    if (fields.ts_unix_ms) event.occurred_at = *fields.ts_unix_ms;
  } else {
    event.event_key = generic_key(*src, req, event.payload);
  }
  event.id = new_id("ine_");
  event.source_id = src->id;
  event.received_at = now_ms;

  write::UpsertInboundEvent op;
  std::shared_ptr<const std::vector<std::string>> endpoint_ids;
  MessagePtr message;
  if (!src->forward_app_id.empty()) {
    MessageRoute route =
        ctx.catalog.route_message(src->forward_app_id, src->forward_event_type, {}, event.payload);
    if (route.status == MessageRoute::Status::kOk) {
      auto m = std::make_shared<Message>();
      m->id = new_id("msg_");
      m->app_id = std::move(route.app_id);
      m->event_type = src->forward_event_type;
      m->payload = event.payload;
      m->created_at = now_ms;
      event.message_id = m->id;
      message = std::move(m);
      endpoint_ids =
          std::make_shared<const std::vector<std::string>>(std::move(route.endpoint_ids));
      op.forward = write::InsertMessage{message, endpoint_ids};
    } else {
      // The event is still accepted and stored: the sender did nothing wrong.
      spdlog::warn("source {}: cannot forward to application {} as {}: the target is gone", src->id,
                   src->forward_app_id, src->forward_event_type);
    }
  }
  if (src->activities) store_as_activity(ctx, *src, event);
  auto stored = std::make_shared<const InboundEvent>(event);
  // A generic source's key (webhook-id, idHeader, idField) names one event its sender may retry:
  // the first is kept. A Skalin eventId re-sent carries a correction: it replaces the event.
  op.keep_first = src->kind != SourceKind::kSkalin;
  op.event = std::move(event);
  ctx.store.write(std::move(op), [&ctx, stored, message, endpoint_ids,
                                  respond = std::move(respond)](const WriteResult& result) {
    switch (result.status) {
      case WriteStatus::kOk: {
        if (message && !result.duplicate) dispatch_new_message(ctx, message, *endpoint_ids, result);
        return respond(json_response(result.duplicate || result.revision > 1 ? 200 : 201,
                                     render_receipt(*stored, result)));
      }
      case WriteStatus::kConflict:
        return respond(error_response(409, "conflict", result.detail));
      case WriteStatus::kUnavailable:
        return respond(error_response(503, "store_unavailable", result.detail));
    }
  });
}

}  // namespace hookd::api
