// /api/v1/event-type/catalogue: ready sets of event types (event_templates/event_templates.h),
// which the API calls catalogues, that a user loads in one call.
#include "api/api.h"
#include "api/json_io.h"
#include "common/time.h"
#include "event_templates/event_templates.h"

namespace hookd::api {

namespace {

struct CatalogueLoad {
  std::vector<std::string> created;
  std::vector<std::string> existing;  // left as they were, archived or not
};

// Creates the event types of `entries` that do not exist yet, one durable write each, in the
// catalogue's order. A store failure part way (503) leaves the ones before it created; loading
// again finishes the job.
CatalogueLoad create_missing_event_types(ApiContext& ctx,
                                         const std::vector<EventTemplate>& entries) {
  CatalogueLoad load;
  std::lock_guard lock(ctx.writer.mutex());
  for (const auto& entry : entries) {
    if (ctx.catalog.find_event_type(entry.name)) {
      load.existing.push_back(entry.name);
      continue;
    }
    EventType et;
    et.name = entry.name;
    et.description = entry.description;
    et.example_json = dump(json::parse(entry.example_json));  // stored compact, as the API does
    et.created_at = et.updated_at = now_unix_ms();
    check_write(ctx.writer.put(et));
    load.created.push_back(entry.name);
  }
  return load;
}

}  // namespace

HttpResponse list_catalogues(ApiContext&, const HttpRequest&, const Params&) {
  json data = json::array();
  for (const auto& set : event_template_sets()) {
    json event_types = json::array();
    for (const auto& entry : set.templates) event_types.push_back(entry.name);
    data.push_back({{"name", set.name}, {"eventTypes", std::move(event_types)}});
  }
  return json_response(200, dump(json{{"data", std::move(data)}}));
}

HttpResponse load_catalogue(ApiContext& ctx, const HttpRequest&, const Params& p) {
  const auto* set = find_event_template_set(p[0]);
  if (set == nullptr) throw not_found("catalogue " + p[0]);
  const CatalogueLoad load = create_missing_event_types(ctx, set->templates);
  return json_response(
      200, dump({{"catalogue", p[0]}, {"created", load.created}, {"existing", load.existing}}));
}

}  // namespace hookd::api
