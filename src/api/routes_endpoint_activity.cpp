// What an endpoint received (Svix's endpoint stats and attempted messages), sending it an event
// type's example, and expunging contents.
#include "api/api.h"
#include "api/event_examples.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "common/ids.h"
#include "common/time.h"

namespace hookd::api {

namespace {

// EndpointMessageOut: MessageOut with the state of the delivery to the endpoint.
std::string render_endpoint_message(const EndpointMessage& row, bool with_content) {
  std::string out = render(row.message, with_content);
  out.pop_back();  // the closing brace; the delivery's fields follow
  const Delivery& d = row.delivery;
  out += ",\"status\":" + std::to_string(static_cast<int>(reported_status(d)));
  out += ",\"statusText\":\"" + status_text(reported_status(d)) + "\"";
  out += ",\"nextAttempt\":";
  if (d.status == DeliveryStatus::kPending) {
    append_json_string(out, format_rfc3339(d.next_attempt_at));
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

}  // namespace

HttpResponse get_endpoint_stats(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  const int64_t since = read_query_time(req, "since").value_or(0);
  const int64_t until = read_query_time(req, "until").value_or(now_unix_ms() + 60'000);
  if (until < since) throw validation_error("until: must not be before since");
  const EndpointStats s = ctx.store.endpoint_stats(ep->id, since, until);
  return json_response(200, dump(json{{"success", s.success},
                                      {"pending", s.pending},
                                      {"sending", s.sending},
                                      {"fail", s.fail},
                                      {"canceled", 0}}));
}

HttpResponse list_endpoint_messages(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  EndpointMessageFilter filter;
  read_message_options(req, filter);
  if (auto status = read_query_status(req)) filter.status = static_cast<DeliveryStatus>(*status);
  const bool with_content = read_query_bool(req, "with_content", true);
  const Page page = read_page(req);
  auto rows = ctx.store.list_endpoint_messages(ep->id, filter, page);
  return json_response(200, render_store_page(rows, page, [with_content](const auto& row) {
                         return render_endpoint_message(row, with_content);
                       }));
}

HttpResponse send_example(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  reject_unknown_fields(body, {"eventType", "exampleIndex"},
                        {"payloadRetentionPeriod", "payloadRetentionHours"});
  const auto type_name = read_string(body, "eventType", 256);
  if (!type_name || type_name->empty()) throw validation_error("eventType: required");
  const int64_t index = read_int(body, "exampleIndex", 0, 1'000'000).value_or(0);
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  const auto type = ctx.catalog.find_event_type(*type_name);
  if (!type || type->archived)
    throw validation_error("eventType: unknown event type " + *type_name);
  Checked<std::string> example = pick_example(*type, index);
  if (!example) throw validation_error(example.problem());
  if (ep->disabled) throw validation_error("endpoint: disabled; enable it to send an example");
  auto message = std::make_shared<Message>();
  message->id = new_id("msg_");
  message->app_id = app.id;
  message->event_type = *type_name;
  message->payload = std::move(example).value();
  message->created_at = now_unix_ms();
  write::InsertMessage op;
  op.message = message;
  op.endpoint_ids = std::make_shared<const std::vector<std::string>>(1, ep->id);
  const auto endpoint_ids = op.endpoint_ids;
  const WriteResult result = ctx.store.write_sync(std::move(op));
  check_write(result);
  dispatch_new_message(ctx, message, *endpoint_ids, result);
  return json_response(200, render(*message));
}

HttpResponse expunge_message_content(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const auto message = ctx.store.get_message(app.id, p[1]);  // by its id or its eventId
  if (!message) throw not_found("message " + p[1]);
  const WriteResult result = ctx.store.write_sync(write::ExpungeContent{app.id, message->id, ""});
  check_write(result);
  if (result.affected == 0) throw not_found("message " + p[1]);
  return empty_response(204);
}

HttpResponse expunge_attempt_content(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto attempt = ctx.store.get_attempt(app.id, p[2]);
  if (!attempt || attempt->msg_id != p[1]) throw not_found("attempt " + p[2]);
  check_write(ctx.store.write_sync(write::ExpungeContent{app.id, p[1], attempt->id}));
  return empty_response(204);
}

}  // namespace hookd::api
