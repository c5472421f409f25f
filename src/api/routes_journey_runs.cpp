// /api/v1/app/{app}/journey/{journey}/stats, .../contact/{key} and .../waiting: where a
// journey's runs are (docs/journeys.md, "Watching a journey"), read from the store.
#include <map>

#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "common/time.h"
#include "journeys/run_state.h"

namespace hookd::api {

namespace {

std::string render_run(const JourneyRun& run) {
  json path = json::array();
  for (const auto& step : parse_run_state(run.state).path) {
    path.push_back({{"node", step.node}, {"at", format_rfc3339(step.at)}});
  }
  return dump(json{{"id", run.id},
                   {"version", run.version},
                   {"contactKey", run.contact_key},
                   {"status", run.waiting ? "waiting" : "ended"},
                   {"node", run.node},
                   {"wakeAt", run.waiting ? json(format_rfc3339(run.wake_at)) : json(nullptr)},
                   {"held", run.held},
                   {"path", path},
                   {"createdAt", format_rfc3339(run.created_at)},
                   {"updatedAt", format_rfc3339(run.updated_at)}});
}

const char* webhook_status_name(int status) {
  switch (static_cast<DeliveryStatus>(status)) {
    case DeliveryStatus::kSuccess:
      return "sent";
    case DeliveryStatus::kFailed:
      return "failed";
    default:
      return "pending";
  }
}

}  // namespace

HttpResponse get_journey_stats(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const JourneyPtr journey = require_journey(ctx, app, p[1]);
  const JourneyStats stats = ctx.store.journey_stats(journey->id);
  std::map<int, json> versions;
  const auto version = [&](int v) -> json& {
    json& out = versions[v];
    if (out.is_null()) {
      out = {{"version", v},
             {"entered", 0},
             {"waiting", json::object()},
             {"exited", json::object()},
             {"webhooks", json::object()}};
    }
    return out;
  };
  for (const auto& c : stats.runs) {
    json& v = version(c.version);
    v["entered"] = v["entered"].get<int64_t>() + c.count;
    v[c.waiting ? "waiting" : "exited"][c.node] = c.count;
  }
  for (const auto& c : stats.webhooks) {
    json& node = version(c.version)["webhooks"][c.node];
    if (node.is_null()) node = {{"sent", 0}, {"failed", 0}, {"pending", 0}};
    json& count = node[webhook_status_name(c.status)];
    count = count.get<int64_t>() + c.count;
  }
  json out = json::array();
  for (auto& [v, body] : versions) out.push_back(std::move(body));
  return json_response(200, dump(json{{"journeyId", journey->id}, {"versions", out}}));
}

HttpResponse list_journey_contact_runs(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const JourneyPtr journey = require_journey(ctx, app, p[1]);
  std::vector<std::string> items;
  for (const auto& run : ctx.store.contact_runs(journey->id, p[2]))
    items.push_back(render_run(run));
  return json_response(200, render_list(items, false, ""));
}

HttpResponse list_journey_waiting_runs(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const JourneyPtr journey = require_journey(ctx, app, p[1]);
  const Page page = read_page(req);
  auto rows =
      ctx.store.waiting_runs(journey->id, query_value(req, "node"), page.iterator, page.limit);
  return json_response(200, render_store_page(rows, page, render_run));
}

}  // namespace hookd::api
