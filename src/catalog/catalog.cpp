#include "catalog/catalog.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include "filter/filter.h"

namespace hookd {

namespace {

bool shares_any(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

}  // namespace

void Catalog::load(const CatalogSnapshot& snapshot) {
  for (const auto& app : snapshot.apps) put_app(app);
  for (const auto& et : snapshot.event_types) put_event_type(et);
  {
    // Each application's routes are built once, after all its endpoints are in.
    std::unique_lock lock(mu_);
    for (const auto& ep : snapshot.endpoints) {
      auto compiled = compile_endpoint(ep);
      if (!compiled) {
        throw std::runtime_error("stored endpoint " + ep.id + ": " + compiled.problem().message());
      }
      insert_endpoint(std::move(compiled).value());
    }
    for (auto& [id, entry] : apps_) rebuild_routes(entry);
  }
  for (const auto& src : snapshot.sources) put_source(src);
  for (const auto& token : snapshot.tokens) tokens_.put(token);
  for (const auto& journey : snapshot.journeys) journeys_.put(journey);
}

namespace {

template <typename T, typename Id>
std::unordered_set<std::string> ids_of(const std::vector<T>& items, Id id) {
  std::unordered_set<std::string> ids;
  for (const auto& item : items) ids.insert(id(item));
  return ids;
}

// The keys of `map` that are not in `keep`.
template <typename M>
std::vector<std::string> missing_from(const M& map, const std::unordered_set<std::string>& keep) {
  std::vector<std::string> gone;
  for (const auto& [key, value] : map) {
    if (!keep.contains(key)) gone.push_back(key);
  }
  return gone;
}

}  // namespace

void Catalog::sync(const CatalogSnapshot& snapshot) {
  load(snapshot);
  const auto apps = ids_of(snapshot.apps, [](const auto& a) { return a.id; });
  const auto types = ids_of(snapshot.event_types, [](const auto& t) { return t.name; });
  const auto endpoints = ids_of(snapshot.endpoints, [](const auto& e) { return e.id; });
  const auto sources = ids_of(snapshot.sources, [](const auto& s) { return s.id; });
  std::vector<std::string> gone_apps, gone_types, gone_endpoints, gone_sources;
  {
    std::shared_lock lock(mu_);
    gone_apps = missing_from(apps_, apps);
    gone_types = missing_from(event_types_, types);
    gone_endpoints = missing_from(endpoints_, endpoints);
    gone_sources = missing_from(sources_, sources);
  }
  for (const auto& id : gone_endpoints) remove_endpoint(id);
  for (const auto& id : gone_sources) remove_source(id);
  for (const auto& id : gone_apps) remove_app(id);
  for (const auto& name : gone_types) remove_event_type(name);
  journeys_.replace_all(snapshot.journeys);
}

const Catalog::AppEntry* Catalog::find_entry(std::string_view id_or_uid) const {
  if (auto it = apps_.find(id_or_uid); it != apps_.end()) return &it->second;
  auto by_uid = app_by_uid_.find(id_or_uid);
  return by_uid == app_by_uid_.end() ? nullptr : by_uid->second;
}

std::optional<Application> Catalog::find_app(std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  const AppEntry* entry = find_entry(id_or_uid);
  if (!entry) return std::nullopt;
  return entry->app;
}

std::optional<std::string> Catalog::app_id_of(std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  const AppEntry* entry = find_entry(id_or_uid);
  if (!entry) return std::nullopt;
  return entry->app.id;
}

MessageRoute Catalog::route_message(std::string_view app_id_or_uid, std::string_view event_type,
                                    const std::vector<std::string>& channels,
                                    std::string_view payload) const {
  MessageRoute route;
  std::shared_lock lock(mu_);
  const AppEntry* entry = find_entry(app_id_or_uid);
  if (!entry) {
    route.status = MessageRoute::Status::kUnknownApp;
    return route;
  }
  auto et = event_types_.find(event_type);
  if (et == event_types_.end() || et->second.archived) {
    route.status = et == event_types_.end() ? MessageRoute::Status::kUnknownEventType
                                            : MessageRoute::Status::kArchivedEventType;
    return route;
  }
  route.app_id = entry->app.id;
  append_matching(*entry, event_type, channels, payload, route.endpoint_ids);
  return route;
}

std::optional<EventType> Catalog::find_event_type(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = event_types_.find(name);
  if (it == event_types_.end()) return std::nullopt;
  return it->second;
}

EndpointPtr Catalog::find_endpoint(std::string_view app_id, std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  auto app = apps_.find(app_id);
  if (app == apps_.end()) return nullptr;
  for (const auto& ep : app->second.endpoints) {
    if (ep->id == id_or_uid || (!ep->uid.empty() && ep->uid == id_or_uid)) return ep;
  }
  return nullptr;
}

EndpointPtr Catalog::endpoint_by_id(std::string_view endpoint_id) const {
  std::shared_lock lock(mu_);
  auto it = endpoints_.find(endpoint_id);
  return it == endpoints_.end() ? nullptr : it->second;
}

std::vector<std::string> Catalog::disabled_endpoint_ids() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, endpoint] : endpoints_) {
    if (endpoint->disabled) out.push_back(id);
  }
  return out;
}

std::vector<Application> Catalog::list_apps() const {
  std::shared_lock lock(mu_);
  std::vector<Application> out;
  out.reserve(apps_.size());
  for (const auto& [id, entry] : apps_) out.push_back(entry.app);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<EventType> Catalog::list_event_types() const {
  std::shared_lock lock(mu_);
  std::vector<EventType> out;
  for (const auto& [name, et] : event_types_) out.push_back(et);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<EndpointPtr> Catalog::list_endpoints(std::string_view app_id) const {
  std::shared_lock lock(mu_);
  auto app = apps_.find(app_id);
  if (app == apps_.end()) return {};
  return app->second.endpoints;
}

void Catalog::append_matching(const AppEntry& app, std::string_view event_type,
                              const std::vector<std::string>& channels, std::string_view payload,
                              std::vector<std::string>& ids) const {
  static const std::vector<const CatalogEndpoint*> kNone;
  const auto typed_it = app.routes_by_type.find(event_type);
  const auto& typed = typed_it == app.routes_by_type.end() ? kNone : typed_it->second;
  const auto& any = app.routes_any_type;
  std::optional<PayloadDocument> document;  // parsed once, for the first endpoint with a filter
  const auto consider = [&](const CatalogEndpoint& ep) {
    // Svix's rule: an endpoint without channels receives every channel.
    if (!ep.channels.empty() && !shares_any(ep.channels, channels)) return;
    if (ep.filter) {
      if (payload.empty()) return;
      if (!document) document.emplace(payload);
      if (!ep.filter->matches(*document)) return;
    }
    ids.push_back(ep.id);
  };
  // Both lists are ordered by id: merged, the ids come out in the application's endpoint order.
  size_t i = 0, j = 0;
  while (i < typed.size() || j < any.size()) {
    if (j == any.size() || (i < typed.size() && typed[i]->id < any[j]->id)) {
      consider(*typed[i++]);
    } else {
      consider(*any[j++]);
    }
  }
}

void Catalog::rebuild_routes(AppEntry& app) {
  app.routes_by_type.clear();
  app.routes_any_type.clear();
  for (const auto& ep : app.endpoints) {
    if (ep->disabled) continue;
    if (ep->event_types.empty()) {
      app.routes_any_type.push_back(ep.get());
      continue;
    }
    for (const auto& type : ep->event_types) {
      auto& list = app.routes_by_type[type];
      // An endpoint listing a type twice is routed once.
      if (list.empty() || list.back() != ep.get()) list.push_back(ep.get());
    }
  }
}

void Catalog::put_app(const Application& app) {
  std::unique_lock lock(mu_);
  auto& entry = apps_[app.id];
  if (!entry.app.uid.empty()) app_by_uid_.erase(entry.app.uid);
  entry.app = app;
  if (!app.uid.empty()) app_by_uid_[app.uid] = &entry;
}

void Catalog::remove_app(const std::string& app_id) {
  std::unique_lock lock(mu_);
  auto it = apps_.find(app_id);
  if (it == apps_.end()) return;
  if (!it->second.app.uid.empty()) app_by_uid_.erase(it->second.app.uid);
  for (const auto& ep : it->second.endpoints) endpoints_.erase(ep->id);
  for (const auto& src : it->second.sources) {
    sources_.erase(src->id);
    source_by_webhook_.erase(src->webhook_id);
  }
  apps_.erase(it);
  journeys_.remove_app(app_id);
}

void Catalog::put_event_type(const EventType& event_type) {
  std::unique_lock lock(mu_);
  event_types_[event_type.name] = event_type;
}

void Catalog::remove_event_type(const std::string& name) {
  std::unique_lock lock(mu_);
  event_types_.erase(name);
}

void Catalog::put_endpoint(const Endpoint& endpoint) {
  auto compiled = compile_endpoint(endpoint);
  if (!compiled) {
    throw std::invalid_argument("endpoint " + endpoint.id + ": " + compiled.problem().message());
  }
  put_endpoint(std::move(compiled).value());
}

void Catalog::put_endpoint(EndpointPtr compiled) {
  const std::string app_id = compiled->app_id;
  std::unique_lock lock(mu_);
  insert_endpoint(std::move(compiled));
  rebuild_routes(apps_[app_id]);
}

void Catalog::insert_endpoint(EndpointPtr endpoint) {
  endpoints_[endpoint->id] = endpoint;
  auto& list = apps_[endpoint->app_id].endpoints;
  auto pos =
      std::lower_bound(list.begin(), list.end(), endpoint->id,
                       [](const EndpointPtr& e, const std::string& id) { return e->id < id; });
  if (pos != list.end() && (*pos)->id == endpoint->id) {
    *pos = std::move(endpoint);
  } else {
    list.insert(pos, std::move(endpoint));
  }
}

void Catalog::remove_endpoint(const std::string& endpoint_id) {
  std::unique_lock lock(mu_);
  auto it = endpoints_.find(endpoint_id);
  if (it == endpoints_.end()) return;
  auto app = apps_.find(it->second->app_id);
  if (app != apps_.end()) {
    auto& list = app->second.endpoints;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const EndpointPtr& e) { return e->id == endpoint_id; }),
               list.end());
    rebuild_routes(app->second);
  }
  endpoints_.erase(it);
}

SourcePtr Catalog::source_by_webhook_id(std::string_view webhook_id) const {
  std::shared_lock lock(mu_);
  auto it = source_by_webhook_.find(webhook_id);
  return it == source_by_webhook_.end() ? nullptr : it->second;
}

SourcePtr Catalog::find_source(std::string_view app_id, std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  auto app = apps_.find(app_id);
  if (app == apps_.end()) return nullptr;
  for (const auto& src : app->second.sources) {
    if (src->id == id_or_uid || (!src->uid.empty() && src->uid == id_or_uid)) return src;
  }
  return nullptr;
}

std::vector<SourcePtr> Catalog::list_sources(std::string_view app_id) const {
  std::shared_lock lock(mu_);
  auto app = apps_.find(app_id);
  if (app == apps_.end()) return {};
  return app->second.sources;
}

void Catalog::put_source(const InboundSource& source) {
  auto ptr = std::make_shared<const InboundSource>(source);
  std::unique_lock lock(mu_);
  if (auto old = sources_.find(source.id); old != sources_.end()) {
    source_by_webhook_.erase(old->second->webhook_id);
  }
  sources_[source.id] = ptr;
  source_by_webhook_[source.webhook_id] = ptr;
  auto& list = apps_[source.app_id].sources;
  auto pos = std::lower_bound(list.begin(), list.end(), source.id,
                              [](const SourcePtr& s, const std::string& id) { return s->id < id; });
  if (pos != list.end() && (*pos)->id == source.id) {
    *pos = std::move(ptr);
  } else {
    list.insert(pos, std::move(ptr));
  }
}

void Catalog::remove_source(const std::string& source_id) {
  std::unique_lock lock(mu_);
  auto it = sources_.find(source_id);
  if (it == sources_.end()) return;
  source_by_webhook_.erase(it->second->webhook_id);
  auto app = apps_.find(it->second->app_id);
  if (app != apps_.end()) {
    auto& list = app->second.sources;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const SourcePtr& s) { return s->id == source_id; }),
               list.end());
  }
  sources_.erase(it);
}

}  // namespace hookd
