// POST /api/v1/app/{app}/endpoint/{id}/test (docs/endpoint-options.md, "Testing an endpoint"):
// the sample is chosen and validated on the calling I/O thread, sent on the test pool, and the
// answer written when the receiver has answered or the test's timeout ran out.
#include <algorithm>

#include "api/api.h"
#include "api/json_io.h"
#include "common/ids.h"
#include "common/time.h"
#include "delivery/test_send.h"

namespace hookd::api {

namespace {

// The sample a test sends: the body's payload, the event type's example, or a hookd.test event.
MessagePtr test_message(ApiContext& ctx, const HttpRequest& req, const Application& app,
                        const Endpoint& ep) {
  const json body = req.body.empty() ? json::object() : parse_body(req);
  reject_unknown_fields(body, {"eventType", "payload"});
  auto message = std::make_shared<Message>();
  message->id = new_id("msg_");
  message->app_id = app.id;
  message->created_at = now_unix_ms();
  message->event_type = read_string(body, "eventType", 256).value_or("");
  if (auto payload = read_object(body, "payload")) {
    message->payload = *payload;
  } else if (!message->event_type.empty()) {
    const auto et = ctx.catalog.find_event_type(message->event_type);
    if (!et) throw validation_error("eventType: unknown event type " + message->event_type);
    if (et->example_json.empty()) {
      throw validation_error("payload: required, the event type " + et->name +
                             " has no example payload");
    }
    message->payload = et->example_json;
  } else {
    message->event_type = "hookd.test";
    message->payload = dump(json{{"type", "hookd.test"},
                                 {"timestamp", format_rfc3339(message->created_at)},
                                 {"data", {{"endpointId", ep.id}}}});
  }
  return message;
}

// Headers as a JSON object; a name given twice has its values joined with ", " (RFC 9110).
json header_object(const HeaderList& headers) {
  json out = json::object();
  for (const auto& [name, value] : headers) {
    auto it = out.find(name);
    if (it == out.end()) {
      out[name] = value;
    } else {
      *it = it->get<std::string>() + ", " + value;
    }
  }
  return out;
}

// Sends the sample and records the outcome (enabling an endpoint with requireTest needs a 200).
// Runs on the test pool: a receiver that hangs holds one of its threads until the timeout,
// never an API worker.
HttpResponse run_test(ApiContext& ctx, const Application& app, const EndpointPtr& ep,
                      const MessagePtr& message) {
  DispatcherOptions options;
  options.address_policy = ctx.options.address_policy;
  if (ctx.dispatcher) options = ctx.dispatcher->options();
  options.request_timeout_ms = std::min(options.request_timeout_ms, kEndpointTestTimeoutMs);
  const TestResult result = send_now(options, ep, message, envelope_key(*ep, app));
  {
    std::lock_guard lock(ctx.writer.mutex());
    if (const EndpointPtr current = ctx.catalog.endpoint_by_id(ep->id)) {
      Endpoint updated = *current;
      updated.last_test_status = result.status_code;
      updated.last_test_at = now_unix_ms();
      check_write(ctx.writer.put(updated));
    }
  }
  return json_response(
      200, dump(json{{"statusCode", result.status_code},
                     {"success", result.success},
                     {"response", result.response.substr(0, 4096)},
                     {"responseHeaders", header_object(result.response_headers)},
                     {"request", json{{"method", "POST"},
                                      {"url", ep->url},
                                      {"headers", header_object(result.request_headers)},
                                      {"body", result.request_body}}},
                     {"errorClass", result.error_class},
                     {"durationMs", result.duration_ms},
                     {"msgId", message->id},
                     {"payload", json::parse(message->payload, nullptr, false)}}));
}

}  // namespace

void test_endpoint(ApiContext& ctx, HttpRequest&& req, const Params& p, Responder respond) {
  const Application app = require_app(ctx, p[0]);
  const EndpointPtr ep = require_endpoint(ctx, app, p[1]);
  const MessagePtr message = test_message(ctx, req, app, *ep);
  if (ctx.tests_running.fetch_add(1) >= kMaxEndpointTests) {
    ctx.tests_running.fetch_sub(1);
    throw ApiError(429, "too_many_requests",
                   "endpoint tests: " + std::to_string(kMaxEndpointTests) +
                       " already running; try again when one has finished");
  }
  const bool queued = ctx.test_pool.post([&ctx, app, ep, message, respond] {
    HttpResponse response;
    try {
      response = run_test(ctx, app, ep, message);
    } catch (const ApiError& e) {
      response = error_response(e.status(), e.code(), e.what());
    } catch (const std::exception& e) {
      response = error_response(500, "internal", e.what());
    }
    ctx.tests_running.fetch_sub(1);
    respond(std::move(response));
  });
  if (!queued) {
    ctx.tests_running.fetch_sub(1);
    throw ApiError(503, "overloaded", "endpoint tests: the server is stopping");
  }
}

}  // namespace hookd::api
