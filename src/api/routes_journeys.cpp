// /api/v1/app/{app}/journey: journeys, their definitions and versions (docs/journeys.md).
// A definition is validated as a whole (journeys/definition.h) before anything is stored.
#include "api/api.h"
#include "api/json_io.h"
#include "api/query_params.h"
#include "api/validation.h"
#include "common/ids.h"
#include "common/time.h"
#include "journeys/definition.h"

namespace hookd::api {

namespace {

const char* status_name(JourneyStatus status) {
  return status == JourneyStatus::kPaused ? "paused" : "active";
}

json render(const Journey& j) {
  return json{{"id", j.id},
              {"uid", j.uid.empty() ? json(nullptr) : json(j.uid)},
              {"name", j.name},
              {"status", status_name(j.status)},
              {"version", j.version},
              {"definition", json::parse(j.definition)},
              {"createdAt", format_rfc3339(j.created_at)},
              {"updatedAt", format_rfc3339(j.updated_at)}};
}

// The definition in `body`, checked against the application's endpoints and the event types:
// 422 naming the node and the field otherwise.
std::string read_definition(ApiContext& ctx, const Application& app, const json& body) {
  const auto it = body.find("definition");
  if (it == body.end() || it->is_null()) throw validation_error("definition: required");
  JourneyRefs refs;
  refs.endpoint_exists = [&](std::string_view id) {
    const EndpointPtr endpoint = ctx.catalog.endpoint_by_id(id);
    return endpoint && endpoint->app_id == app.id;
  };
  refs.event_type_exists = [&](std::string_view name) {
    return ctx.catalog.find_event_type(name).has_value();
  };
  auto parsed = parse_journey_definition(it->dump(), refs);
  if (!parsed) throw validation_error(parsed.problem().under("definition"));
  return to_json(parsed.value());
}

// `uid`: optional, unique among the application's journeys.
void apply_uid(ApiContext& ctx, const json& body, Journey& j) {
  auto uid = read_string(body, "uid", 256);
  if (!uid) {
    j.uid.clear();
    return;
  }
  if (auto problem = check_uid(*uid); !problem.empty()) throw validation_error(problem);
  for (const auto& other : ctx.catalog.journeys().list(j.app_id)) {
    if (other->uid == *uid && other->id != j.id) {
      throw ApiError(409, "conflict", "uid: another journey of this application has it");
    }
  }
  j.uid = *uid;
}

// Sets what the body says and, when the definition changed, moves the journey to a new version.
// Returns whether it did.
bool apply_journey_fields(ApiContext& ctx, const Application& app, const json& body, Journey& j) {
  reject_unknown_fields(body, {"uid", "definition", "status"});
  apply_uid(ctx, body, j);
  if (auto status = read_string(body, "status", 16)) {
    if (*status != "active" && *status != "paused") {
      throw validation_error("status: must be active or paused");
    }
    j.status = *status == "paused" ? JourneyStatus::kPaused : JourneyStatus::kActive;
  }
  const std::string definition = read_definition(ctx, app, body);
  j.name = json::parse(definition).at("name").get<std::string>();
  if (definition == j.definition) return false;
  if (!j.definition.empty()) ++j.version;
  j.definition = definition;
  return true;
}

HttpResponse save(ApiContext& ctx, const Journey& j, bool new_version, int status) {
  check_write(ctx.writer.put(j, new_version));
  return json_response(status, dump(render(j)));
}

HttpResponse set_status(ApiContext& ctx, const Params& p, JourneyStatus status) {
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  Journey j = *require_journey(ctx, app, p[1]);
  if (j.status == status) return json_response(200, dump(render(j)));
  j.status = status;
  j.updated_at = now_unix_ms();
  return save(ctx, j, false, 200);
}

}  // namespace

JourneyPtr require_journey(ApiContext& ctx, const Application& app, const std::string& id_or_uid) {
  auto journey = ctx.catalog.journeys().find(app.id, id_or_uid);
  if (!journey) throw not_found("journey " + id_or_uid);
  return journey;
}

HttpResponse list_journeys(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(200, render_page(
                                ctx.catalog.journeys().list(app.id), read_page(req),
                                [](const JourneyPtr& j) { return j->id; },
                                [](const JourneyPtr& j) { return dump(render(*j)); }));
}

HttpResponse create_journey(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  Journey j;
  j.id = new_id("jrn_");
  j.app_id = app.id;
  apply_journey_fields(ctx, app, body, j);
  j.created_at = j.updated_at = now_unix_ms();
  return save(ctx, j, true, 201);
}

HttpResponse get_journey(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  return json_response(200, dump(render(*require_journey(ctx, app, p[1]))));
}

HttpResponse update_journey(ApiContext& ctx, const HttpRequest& req, const Params& p) {
  const json body = parse_body(req);
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  Journey j = *require_journey(ctx, app, p[1]);
  const bool new_version = apply_journey_fields(ctx, app, body, j);
  j.updated_at = now_unix_ms();
  return save(ctx, j, new_version, 200);
}

HttpResponse delete_journey(ApiContext& ctx, const HttpRequest&, const Params& p) {
  std::lock_guard lock(ctx.writer.mutex());
  const Application app = require_app(ctx, p[0]);
  const JourneyPtr j = require_journey(ctx, app, p[1]);
  check_write(ctx.writer.remove_journey(j->id));
  return empty_response(204);
}

HttpResponse pause_journey(ApiContext& ctx, const HttpRequest&, const Params& p) {
  return set_status(ctx, p, JourneyStatus::kPaused);
}

HttpResponse resume_journey(ApiContext& ctx, const HttpRequest&, const Params& p) {
  return set_status(ctx, p, JourneyStatus::kActive);
}

HttpResponse list_journey_versions(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const Application app = require_app(ctx, p[0]);
  const JourneyPtr j = require_journey(ctx, app, p[1]);
  json data = json::array();
  for (const auto& v : ctx.store.list_journey_versions(j->id)) {
    data.push_back({{"version", v.version},
                    {"definition", json::parse(v.definition)},
                    {"createdAt", format_rfc3339(v.created_at)}});
  }
  return json_response(
      200,
      dump(json{{"data", data}, {"iterator", nullptr}, {"prevIterator", nullptr}, {"done", true}}));
}

}  // namespace hookd::api
