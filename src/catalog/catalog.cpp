#include "catalog/catalog.h"

#include <algorithm>
#include <mutex>

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
  for (const auto& ep : snapshot.endpoints) put_endpoint(ep);
  for (const auto& src : snapshot.sources) put_source(src);
}

const Catalog::AppEntry* Catalog::find_entry(std::string_view id_or_uid) const {
  auto it = apps_.find(id_or_uid);
  if (it != apps_.end()) return &it->second;
  auto by_uid = app_by_uid_.find(id_or_uid);
  if (by_uid == app_by_uid_.end()) return nullptr;
  it = apps_.find(by_uid->second);
  return it == apps_.end() ? nullptr : &it->second;
}

std::optional<Application> Catalog::find_app(std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  const AppEntry* entry = find_entry(id_or_uid);
  if (!entry) return std::nullopt;
  return entry->app;
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
  std::optional<PayloadDocument> document;  // parsed once, for the first endpoint with a filter
  for (const auto& ep : app.endpoints) {
    if (ep->disabled) continue;
    if (!ep->event_types.empty() && std::find(ep->event_types.begin(), ep->event_types.end(),
                                              event_type) == ep->event_types.end()) {
      continue;
    }
    if ((!ep->channels.empty() || !channels.empty()) && !shares_any(ep->channels, channels)) {
      continue;
    }
    if (ep->filter) {
      if (payload.empty()) continue;
      if (!document) document.emplace(payload);
      if (!ep->filter->matches(*document)) continue;
    }
    ids.push_back(ep->id);
  }
}

void Catalog::put_app(const Application& app) {
  std::unique_lock lock(mu_);
  auto& entry = apps_[app.id];
  if (!entry.app.uid.empty()) app_by_uid_.erase(entry.app.uid);
  entry.app = app;
  if (!app.uid.empty()) app_by_uid_[app.uid] = app.id;
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
}

void Catalog::put_event_type(const EventType& event_type) {
  std::unique_lock lock(mu_);
  event_types_[event_type.name] = event_type;
}

void Catalog::put_endpoint(const Endpoint& endpoint) {
  auto ptr = std::make_shared<const Endpoint>(endpoint);
  std::unique_lock lock(mu_);
  endpoints_[endpoint.id] = ptr;
  auto& list = apps_[endpoint.app_id].endpoints;
  auto pos =
      std::lower_bound(list.begin(), list.end(), endpoint.id,
                       [](const EndpointPtr& e, const std::string& id) { return e->id < id; });
  if (pos != list.end() && (*pos)->id == endpoint.id) {
    *pos = std::move(ptr);
  } else {
    list.insert(pos, std::move(ptr));
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
