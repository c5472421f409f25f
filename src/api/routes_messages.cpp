// /api/v1/app/{app}/msg: accepting messages (the hot path) and reading them back.
#include "api/api.h"
#include "api/json_io.h"
#include "api/message_input.h"
#include "api/query_params.h"
#include "common/ids.h"
#include "common/time.h"
#include "delivery/replay.h"

namespace hookd::api {

void dispatch_new_message(ApiContext& ctx, const MessagePtr& message,
                          const std::vector<std::string>& endpoint_ids, const WriteResult& result) {
  if (ctx.dispatcher) ctx.dispatcher->enqueue_new(message, endpoint_ids, result.claimed);
}

namespace {

// A message that names a contact is also an activity of it (docs/journeys.md), queued before
// the message so that it is durable when the message is acknowledged. Its id comes from the
// eventId when there is one, so a repeated message is a repeated activity.
void store_as_activity(ApiContext& ctx, const Message& m, std::string contact) {
  Activity a;
  a.id = "msg:" + (m.event_id.empty() ? m.id : m.event_id);
  a.app_id = m.app_id;
  a.contact_key = std::move(contact);
  a.name = m.event_type;
  a.params = m.payload;
  a.occurred_at = a.received_at = m.created_at;
  queue_activity(ctx, std::move(a));
}

}  // namespace

// Runs on the I/O thread and never blocks: the catalog is in memory, and the store write
// completes asynchronously on the writer thread, which answers once the commit is durable.
void create_message(ApiContext& ctx, HttpRequest&& req, const Params& p, Responder respond) {
  bool with_content = true;
  try {
    with_content = read_query_bool(req, "with_content", true);
  } catch (const ApiError& e) {
    ctx.metrics.messages_rejected.fetch_add(1, std::memory_order_relaxed);
    return respond(error_response(e.status(), e.code(), e.what()));
  }
  MessageInput input;
  MessageInputError error;
  if (!parse_message_input(req.body, req.body.capacity(), input, error)) {
    ctx.metrics.messages_rejected.fetch_add(1, std::memory_order_relaxed);
    return respond(error_response(error.status, error.status == 400 ? "invalid_json" : "validation",
                                  error.detail));
  }
  MessageRoute route =
      ctx.catalog.route_message(p[0], input.event_type, input.channels, input.payload);
  if (route.status != MessageRoute::Status::kOk) {
    ctx.metrics.messages_rejected.fetch_add(1, std::memory_order_relaxed);
    if (route.status == MessageRoute::Status::kUnknownApp) {
      return respond(error_response(404, "not_found", "application " + p[0] + " not found"));
    }
    return respond(error_response(422, "validation",
                                  "eventType: " + input.event_type +
                                      (route.status == MessageRoute::Status::kArchivedEventType
                                           ? " is archived"
                                           : " is not a known event type")));
  }

  auto message = std::make_shared<Message>();
  message->id = new_id("msg_");
  message->app_id = std::move(route.app_id);
  message->event_type = std::move(input.event_type);
  message->event_id = std::move(input.event_id);
  message->channels = std::move(input.channels);
  message->payload = std::move(input.payload);
  message->created_at = now_unix_ms();

  if (!input.contact.empty()) store_as_activity(ctx, *message, std::move(input.contact));
  write::InsertMessage op;
  auto endpoint_ids =
      std::make_shared<const std::vector<std::string>>(std::move(route.endpoint_ids));
  op.endpoint_ids = endpoint_ids;
  std::string rendered = render(*message, with_content);
  op.message = message;

  ctx.store.write(std::move(op), [&ctx, message, endpoint_ids = std::move(endpoint_ids),
                                  rendered = std::move(rendered),
                                  respond = std::move(respond)](const WriteResult& result) mutable {
    switch (result.status) {
      case WriteStatus::kOk: {
        ctx.metrics.messages_accepted.fetch_add(1, std::memory_order_relaxed);
        dispatch_new_message(ctx, message, *endpoint_ids, result);
        return respond(json_response(202, std::move(rendered)));
      }
      case WriteStatus::kConflict:
        ctx.metrics.messages_rejected.fetch_add(1, std::memory_order_relaxed);
        return respond(error_response(409, "conflict", result.detail));
      case WriteStatus::kUnavailable:
        ctx.metrics.messages_rejected.fetch_add(1, std::memory_order_relaxed);
        return respond(error_response(503, "store_unavailable", result.detail));
    }
  });
}

HttpResponse list_messages(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const Page page = read_page(req);
  const bool with_content = read_query_bool(req, "with_content", true);
  MessageFilter filter;
  read_message_options(req, filter);
  auto rows = ctx.store.list_messages(app.id, filter, page);
  return json_response(200, render_store_page(rows, page, [with_content](const Message& m) {
                         return render(m, with_content);
                       }));
}

HttpResponse get_message(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const bool with_content = read_query_bool(req, "with_content", true);
  const Application app = require_app(ctx, p[0]);
  auto message = ctx.store.get_message(app.id, p[1]);
  if (!message) throw not_found("message " + p[1]);
  return json_response(200, render(*message, with_content));
}

HttpResponse list_message_endpoints(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto message = ctx.store.get_message(app.id, p[1]);
  if (!message) throw not_found("message " + p[1]);
  std::vector<std::string> items;
  for (const auto& d : ctx.store.list_deliveries_of_message(message->id)) {
    const EndpointPtr ep = ctx.catalog.endpoint_by_id(d.endpoint_id);
    if (!ep) continue;
    json item = render(*ep);
    item["status"] = static_cast<int>(reported_status(d));
    item["statusText"] = status_text(reported_status(d));
    item["nextAttempt"] = d.status == DeliveryStatus::kPending
                              ? json(format_rfc3339(d.next_attempt_at))
                              : json(nullptr);
    item["attempts"] = d.attempts;
    items.push_back(dump(item));
  }
  return json_response(200, render_list(items, false, ""));
}

HttpResponse resend_message(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto message = ctx.store.get_message(app.id, p[1]);
  if (!message) throw not_found("message " + p[1]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[2]);
  if (!ctx.dispatcher) {
    throw ApiError(409, "conflict", "this node does not deliver (role api); resend on a worker");
  }
  if (ep->disabled) throw validation_error("endpoint: disabled; enable it before resending");
  if (message->content_expunged) {
    throw ApiError(409, "conflict",
                   "message " + message->id + ": its content was expunged; it cannot be resent");
  }
  DeliveryJob job{std::make_shared<const Message>(std::move(*message)), ep->id, 0, now_unix_ms(),
                  TriggerType::kManual};
  ctx.dispatcher->enqueue({std::move(job)});
  return json_response(202, "{}");  // Svix's EmptyResponse, which its SDKs parse
}

namespace {

int64_t read_time_field(const json& body, const char* field, std::optional<int64_t> fallback) {
  auto text = read_string(body, field, 64);
  if (!text) {
    if (!fallback) throw validation_error(std::string(field) + ": required (RFC 3339)");
    return *fallback;
  }
  auto t = parse_rfc3339(*text);
  if (!t) throw validation_error(std::string(field) + ": must be an RFC 3339 timestamp");
  return *t;
}

// Sends failed deliveries again as manual attempts. Answers Svix's RecoverOut, finished since the
// deliveries are queued before the answer, with how many in `count`.
HttpResponse replay(ApiContext& ctx, const Application& app, const std::string& endpoint_id,
                    const std::vector<std::string>& event_types, int64_t since, int64_t until) {
  if (!ctx.dispatcher) {
    throw ApiError(409, "conflict", "this node does not deliver (role api); replay on a worker");
  }
  if (until <= since) throw validation_error("until: must be after since");
  const size_t count = replay_failed(ctx.store, ctx.catalog, *ctx.dispatcher, app.id, endpoint_id,
                                     event_types, since, until, now_unix_ms());
  return json_response(202, dump(json{{"id", new_id("rcv_")},
                                      {"status", "finished"},
                                      {"task", "endpoint.recover"},
                                      {"updatedAt", format_rfc3339(now_unix_ms())},
                                      {"count", count}}));
}

}  // namespace

HttpResponse recover_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  if (ep->disabled) throw validation_error("endpoint: disabled; enable it before recovering");
  const int64_t since = read_time_field(body, "since", std::nullopt);
  const int64_t until = read_time_field(body, "until", now_unix_ms() + 1);
  return replay(ctx, app, ep->id, {}, since, until);
}

HttpResponse retry_failed(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = req.body.empty() ? json::object() : parse_body(req);
  const Application app = require_app(ctx, p[0]);
  std::string endpoint_id;
  if (auto ref = read_string(body, "endpointId", 256))
    endpoint_id = require_endpoint(ctx, app, *ref)->id;
  const auto types = read_names(body, "eventTypes", 100).value_or(std::vector<std::string>{});
  if (auto status = read_string(body, "status", 16); status && *status != "failed") {
    throw validation_error("status: only failed deliveries are retried in bulk");
  }
  const int64_t since = read_time_field(body, "since", 0);
  const int64_t until = read_time_field(body, "until", now_unix_ms() + 1);
  return replay(ctx, app, endpoint_id, types, since, until);
}

}  // namespace hookd::api
