#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/journey.h"

namespace hookd {

// The in-memory copy of every stored journey (model/journey.h): few, read by the API and, for
// each activity, by the journey engine. Readers get immutable snapshots (JourneyPtr).
//
// Thread-safe. Changed only after the store committed the change (CatalogWriter).
class JourneyRegistry final {
 public:
  // By id or uid, within the application.
  JourneyPtr find(std::string_view app_id, std::string_view id_or_uid) const;
  std::vector<JourneyPtr> list(std::string_view app_id) const;  // by id: oldest first
  std::vector<JourneyPtr> all() const;                          // every application's, by id
  void put(const Journey& journey);
  void remove(const std::string& journey_id);
  void remove_app(const std::string& app_id);
  // Makes the registry hold exactly `journeys` (cluster mode: Catalog::sync).
  void replace_all(const std::vector<Journey>& journeys);

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, JourneyPtr, std::less<>> by_id_;  // guarded by mu_
};

}  // namespace hookd
