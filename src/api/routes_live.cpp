// GET /api/v1/app/{app}/attempt/live[?endpoint_id=]: the live tail, every attempt this node
// makes for the application (or one endpoint) as Server-Sent Events (delivery/live_feed.h).
// Runs on the I/O thread: the catalog lookups and the subscription are in memory.
#include "api/api.h"
#include "api/json_io.h"
#include "common/time.h"

namespace hookd::api {

namespace {

// The subscription as an event stream: one "attempt" event per attempt, in Svix's
// MessageAttemptOut shape plus eventType and nextAttempt, and a "dropped" event when a slow
// client missed some.
class LiveAttemptStream final : public EventStream {
 public:
  explicit LiveAttemptStream(std::shared_ptr<LiveSubscription> subscription)
      : subscription_(std::move(subscription)) {}
  ~LiveAttemptStream() override { subscription_->close(); }

  std::string take() override {
    size_t dropped = 0;
    std::string out;
    for (const LiveAttempt& live : subscription_->take(dropped)) {
      json event = render(live.attempt);
      event["eventType"] = live.event_type;
      event["nextAttempt"] =
          live.next_attempt_at ? json(format_rfc3339(live.next_attempt_at)) : json(nullptr);
      out += "event: attempt\nid: " + live.attempt.id + "\ndata: " + dump(event) + "\n\n";
    }
    if (dropped > 0) {
      out += "event: dropped\ndata: {\"count\":" + std::to_string(dropped) + "}\n\n";
    }
    return out;
  }
  void on_ready(std::function<void()> wake) override { subscription_->on_ready(std::move(wake)); }

 private:
  std::shared_ptr<LiveSubscription> subscription_;
};

}  // namespace

void live_attempts(ApiContext& ctx, HttpRequest&& req, const Params& p, Responder respond) {
  const Application app = require_app(ctx, p[0]);
  std::string endpoint_id;
  if (auto it = req.query.find("endpoint_id"); it != req.query.end() && !it->second.empty()) {
    endpoint_id = require_endpoint(ctx, app, it->second)->id;
  }
  if (!ctx.dispatcher) {
    throw ApiError(409, "conflict",
                   "this node does not deliver (role api): follow the live tail on a worker");
  }
  auto subscription = ctx.dispatcher->live_feed().subscribe(app.id, endpoint_id);
  if (!subscription) {
    throw ApiError(429, "too_many_requests",
                   "live tail: " + std::to_string(ctx.dispatcher->live_feed().max_subscribers()) +
                       " streams are open already; close one");
  }
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  response.body =
      "retry: 3000\n: following " + (endpoint_id.empty() ? app.id : endpoint_id) + "\n\n";
  response.stream = std::make_shared<LiveAttemptStream>(std::move(subscription));
  respond(std::move(response));
}

}  // namespace hookd::api
