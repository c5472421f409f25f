#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog_endpoint.h"
#include "catalog/journey_registry.h"
#include "catalog/token_registry.h"
#include "model/application.h"
#include "model/catalog_snapshot.h"
#include "model/inbound.h"

namespace hookd {

// Where a new message goes, decided under one lock on the ingest hot path.
struct MessageRoute {
  enum class Status { kOk, kUnknownApp, kUnknownEventType, kArchivedEventType };
  Status status = Status::kOk;
  std::string app_id;
  // Enabled endpoints subscribed to the event type (or to every type), sharing a channel with
  // the message when either side has channels.
  std::vector<std::string> endpoint_ids;
};

// Heterogeneous lookup: find by string_view without building a std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The in-memory copy of every application, event type and endpoint: small, read on every
// message, changed rarely. Readers get immutable snapshots (shared_ptr<const>), so a delivery
// in flight keeps the endpoint configuration it started with.
//
// Thread-safe. The Catalog is changed only after the store committed the change, so it never
// shows what a crash could lose: changes go through CatalogWriter (catalog/catalog_writer.h).
class Catalog final {
 public:
  // Throws std::runtime_error naming a stored endpoint whose filter or key is unusable.
  void load(const CatalogSnapshot& snapshot);
  // Makes the catalog what `snapshot` holds: load, then what the snapshot no longer has is
  // removed (tokens are never removed: a revoked token is a put). Cluster mode: another node
  // changed the store (catalog/catalog_follower.h). Throws as load does.
  void sync(const CatalogSnapshot& snapshot);

  // Lookups by id or uid.
  std::optional<Application> find_app(std::string_view id_or_uid) const;
  // The id of the application with this id or uid; cheaper than find_app (no copy).
  std::optional<std::string> app_id_of(std::string_view id_or_uid) const;
  std::optional<EventType> find_event_type(std::string_view name) const;
  EndpointPtr find_endpoint(std::string_view app_id, std::string_view id_or_uid) const;
  EndpointPtr endpoint_by_id(std::string_view endpoint_id) const;

  std::vector<Application> list_apps() const;  // oldest first
  std::vector<EventType> list_event_types() const;
  std::vector<EndpointPtr> list_endpoints(std::string_view app_id) const;  // oldest first
  // The ids of every disabled endpoint, of all applications.
  std::vector<std::string> disabled_endpoint_ids() const;

  // `payload`: the message's payload, for endpoints with a payload filter (an endpoint with a
  // filter is left out when the payload is not given).
  MessageRoute route_message(std::string_view app_id_or_uid, std::string_view event_type,
                             const std::vector<std::string>& channels,
                             std::string_view payload = {}) const;

  void put_app(const Application& app);
  void remove_app(const std::string& app_id);  // and its endpoints, sources and journeys
  void put_event_type(const EventType& event_type);
  void remove_event_type(const std::string& name);
  // Compiles `endpoint` (compile_endpoint) and publishes it; throws std::invalid_argument, naming
  // the endpoint and the problem, when it does not compile.
  void put_endpoint(const Endpoint& endpoint);
  void put_endpoint(EndpointPtr compiled);
  void remove_endpoint(const std::string& endpoint_id);

  // Inbound sources.
  SourcePtr source_by_webhook_id(std::string_view webhook_id) const;
  SourcePtr find_source(std::string_view app_id, std::string_view id_or_uid) const;
  std::vector<SourcePtr> list_sources(std::string_view app_id) const;  // oldest first
  void put_source(const InboundSource& source);
  void remove_source(const std::string& source_id);

  // API tokens. Publish changes through CatalogWriter::put(const ApiToken&).
  TokenRegistry& tokens() { return tokens_; }
  const TokenRegistry& tokens() const { return tokens_; }
  // Journeys. Publish changes through CatalogWriter.
  JourneyRegistry& journeys() { return journeys_; }
  const JourneyRegistry& journeys() const { return journeys_; }

 private:
  template <typename V>
  using Map = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct AppEntry {
    Application app;
    std::vector<EndpointPtr> endpoints;  // ordered by id
    std::vector<SourcePtr> sources;      // ordered by id
    // Routing index over `endpoints`, rebuilt whenever they change: the enabled ones by the
    // event type they subscribe to, and those taking every type, each ordered by id. A message
    // looks at the endpoints of its own type only, not at every endpoint of its application.
    Map<std::vector<const CatalogEndpoint*>> routes_by_type;
    std::vector<const CatalogEndpoint*> routes_any_type;
  };

  const AppEntry* find_entry(std::string_view id_or_uid) const;  // needs mu_ held
  void append_matching(const AppEntry& app, std::string_view event_type,
                       const std::vector<std::string>& channels, std::string_view payload,
                       std::vector<std::string>& ids) const;
  // Needs mu_ held exclusively.
  void insert_endpoint(EndpointPtr endpoint);
  static void rebuild_routes(AppEntry& app);

  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  Map<AppEntry> apps_;                // by id
  Map<AppEntry*> app_by_uid_;         // by uid, into apps_ (its nodes never move)
  Map<EventType> event_types_;        // by name
  Map<EndpointPtr> endpoints_;        // by id
  Map<SourcePtr> sources_;            // by id
  Map<SourcePtr> source_by_webhook_;  // by webhook id
  TokenRegistry tokens_;              // thread-safe on its own
  JourneyRegistry journeys_;          // thread-safe on its own
};

}  // namespace hookd
