#include "catalog/journey_registry.h"

#include <memory>
#include <mutex>

namespace hookd {

JourneyPtr JourneyRegistry::find(std::string_view app_id, std::string_view id_or_uid) const {
  std::shared_lock lock(mu_);
  if (auto it = by_id_.find(id_or_uid); it != by_id_.end() && it->second->app_id == app_id) {
    return it->second;
  }
  for (const auto& [id, journey] : by_id_) {
    if (journey->app_id == app_id && !journey->uid.empty() && journey->uid == id_or_uid) {
      return journey;
    }
  }
  return nullptr;
}

std::vector<JourneyPtr> JourneyRegistry::list(std::string_view app_id) const {
  std::shared_lock lock(mu_);
  std::vector<JourneyPtr> out;
  for (const auto& [id, journey] : by_id_) {
    if (journey->app_id == app_id) out.push_back(journey);
  }
  return out;
}

std::vector<JourneyPtr> JourneyRegistry::all() const {
  std::shared_lock lock(mu_);
  std::vector<JourneyPtr> out;
  out.reserve(by_id_.size());
  for (const auto& [id, journey] : by_id_) out.push_back(journey);
  return out;
}

void JourneyRegistry::put(const Journey& journey) {
  auto ptr = std::make_shared<const Journey>(journey);
  std::unique_lock lock(mu_);
  by_id_[journey.id] = std::move(ptr);
}

void JourneyRegistry::remove(const std::string& journey_id) {
  std::unique_lock lock(mu_);
  by_id_.erase(journey_id);
}

void JourneyRegistry::remove_app(const std::string& app_id) {
  std::unique_lock lock(mu_);
  std::erase_if(by_id_, [&](const auto& entry) { return entry.second->app_id == app_id; });
}

void JourneyRegistry::replace_all(const std::vector<Journey>& journeys) {
  std::map<std::string, JourneyPtr, std::less<>> fresh;
  for (const auto& j : journeys) fresh[j.id] = std::make_shared<const Journey>(j);
  std::unique_lock lock(mu_);
  by_id_.swap(fresh);
}

}  // namespace hookd
