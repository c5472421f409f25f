#include "health/service_health.h"

namespace hookd {

void ServiceHealth::set_failing(std::string_view component, std::string_view reason) {
  std::lock_guard lock(mu_);
  auto it = failing_.find(component);
  if (it == failing_.end()) {
    failing_.emplace(std::string(component), std::string(reason));
  } else {
    it->second = reason;
  }
}

void ServiceHealth::set_ok(std::string_view component) {
  std::lock_guard lock(mu_);
  if (failing_.empty()) return;
  auto it = failing_.find(component);
  if (it != failing_.end()) failing_.erase(it);
}

std::vector<std::string> ServiceHealth::reasons() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  out.reserve(failing_.size());
  for (const auto& [component, reason] : failing_) out.push_back(component + ": " + reason);
  return out;
}

std::vector<std::string> degraded_reasons(const std::string& store_refusal,
                                          const ServiceHealth* components) {
  std::vector<std::string> out;
  if (!store_refusal.empty()) out.push_back("store writer: " + store_refusal);
  if (components) {
    for (auto& reason : components->reasons()) out.push_back(std::move(reason));
  }
  return out;
}

}  // namespace hookd
