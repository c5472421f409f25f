// /api/v1/app/{app}/attempt/...: the record of every delivery attempt.
#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"

namespace hookd::api {

namespace {

HttpResponse list(ApiContext& ctx, const HttpRequest& req, const Application& app,
                  AttemptFilter filter) {
  const Page page = read_page(req);
  filter.status = read_query_status(req);
  filter.status_code_class = read_query_status_code_class(req);
  read_message_options(req, filter);
  auto rows = ctx.store.list_attempts(app.id, filter, page);
  return json_response(
      200, render_store_page(rows, page, [](const Attempt& a) { return dump(render(a)); }));
}

}  // namespace

HttpResponse list_attempts_by_endpoint(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  AttemptFilter filter;
  filter.endpoint_id = require_endpoint(ctx, app, p[1])->id;
  return list(ctx, req, app, std::move(filter));
}

HttpResponse list_attempts_by_message(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto message = ctx.store.get_message(app.id, p[1]);
  if (!message) throw not_found("message " + p[1]);
  AttemptFilter filter;
  filter.msg_id = message->id;
  if (auto it = req.query.find("endpoint_id"); it != req.query.end() && !it->second.empty()) {
    filter.endpoint_id = require_endpoint(ctx, app, it->second)->id;
  }
  return list(ctx, req, app, std::move(filter));
}

HttpResponse get_attempt(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  auto attempt = ctx.store.get_attempt(app.id, p[2]);
  if (!attempt || (attempt->msg_id != p[1])) throw not_found("attempt " + p[2]);
  return json_response(200, dump(render(*attempt)));
}

}  // namespace hookd::api
