// /api/v1/event-type: the catalogue of event types messages may carry.
#include "api/api.h"
#include "api/json_io.h"
#include "api/message_input.h"
#include "api/query_params.h"
#include "common/time.h"

namespace hookd::api {

namespace {

EventType require_event_type(ApiContext& ctx, const std::string& name) {
  auto et = ctx.catalog.find_event_type(name);
  if (!et) throw not_found("event type " + name);
  return *et;
}

void apply_event_type_fields(const json& body, EventType& et, bool full) {
  reject_unknown_fields(
      body, {"name", "description", "schemas", "example", "featureFlag", "deprecated", "archived"});
  auto description = read_string(body, "description", 8192);
  if (full && !description) throw validation_error("description: required");
  if (description) et.description = *description;
  if (auto schemas = read_object(body, "schemas")) {
    et.schemas_json = *schemas;
  } else if (full) {
    et.schemas_json.clear();
  }
  if (auto example = read_object(body, "example")) {
    et.example_json = *example;
  } else if (full) {
    et.example_json.clear();
  }
  if (auto flag = read_string(body, "featureFlag", 256)) et.feature_flag = *flag;
  if (auto deprecated = read_bool(body, "deprecated")) et.deprecated = *deprecated;
  if (auto archived = read_bool(body, "archived")) et.archived = *archived;
}

}  // namespace

HttpResponse list_event_types(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const Page page = read_page(req);
  const bool include_archived = read_query_bool(req, "include_archived", false);
  std::vector<EventType> types;
  for (auto& et : ctx.catalog.list_event_types()) {
    if (include_archived || !et.archived) types.push_back(std::move(et));
  }
  return json_response(
      200, render_page(
               types, page, [](const EventType& e) { return e.name; },
               [](const EventType& e) { return dump(render(e)); }, read_query_descending(req)));
}

HttpResponse create_event_type(ApiContext& ctx, const HttpRequest& req, const Params&) {
  const json body = parse_body(req);
  auto name = read_string(body, "name", 256);
  if (!name) throw validation_error("name: required");
  if (!is_valid_name(*name)) {
    throw validation_error("name: must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
  }
  std::lock_guard lock(ctx.writer.mutex());
  // Creating an archived event type unarchives it, with the new description and schemas.
  const auto existing = ctx.catalog.find_event_type(*name);
  if (existing && !existing->archived) {
    throw ApiError(409, "conflict", "name: event type " + *name + " already exists");
  }
  EventType et;
  et.name = *name;
  apply_event_type_fields(body, et, true);
  et.updated_at = now_unix_ms();
  et.created_at = existing ? existing->created_at : et.updated_at;
  check_write(ctx.writer.put(et));
  return json_response(201, dump(render(et)));
}

HttpResponse get_event_type(ApiContext& ctx, const HttpRequest&, const Params& p) {
  return json_response(200, dump(render(require_event_type(ctx, p[0]))));
}

HttpResponse update_event_type(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  auto existing = ctx.catalog.find_event_type(p[0]);
  const bool create = !existing && req.method == "PUT";
  if (!existing && !create) throw not_found("event type " + p[0]);
  if (create && !is_valid_name(p[0])) {
    throw validation_error("name: must be 1 to 256 characters of A-Z a-z 0-9 _ . - :");
  }
  EventType et = existing.value_or(EventType{});
  if (create) {
    et.name = p[0];
    et.created_at = now_unix_ms();
  }
  apply_event_type_fields(body, et, req.method == "PUT");
  et.updated_at = now_unix_ms();
  check_write(ctx.writer.put(et));
  return json_response(create ? 201 : 200, dump(render(et)));
}

// Archives the event type; with expunge=true deletes it.
HttpResponse archive_event_type(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const bool expunge = read_query_bool(req, "expunge", false);
  std::lock_guard lock(ctx.writer.mutex());
  EventType et = require_event_type(ctx, p[0]);
  if (expunge) {
    check_write(ctx.writer.remove_event_type(et.name));
    return empty_response(204);
  }
  et.archived = true;
  et.updated_at = now_unix_ms();
  check_write(ctx.writer.put(et));
  return empty_response(204);
}

}  // namespace hookd::api
