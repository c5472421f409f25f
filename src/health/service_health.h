#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// What GET /health reports (docs/api.md): the reasons hookd is degraded. Components that fail
// on their own threads (the loader) report here; the store's refusal of writes is read from
// the store when /health is asked. A component is degraded from a failed run until its next
// good one, so one transient failure shows for one run and does not flap.
namespace hookd {

// Shared across threads; thread-safe.
class ServiceHealth final {
 public:
  void set_failing(std::string_view component, std::string_view reason);
  void set_ok(std::string_view component);
  // "component: reason" of every failing component, by component name.
  std::vector<std::string> reasons() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string, std::less<>> failing_;  // guarded by mu_
};

// The reasons /health answers with: the store writer's refusal first (when `store_refusal` is
// not empty), then the failing components of `components` (may be null). Empty: healthy.
std::vector<std::string> degraded_reasons(const std::string& store_refusal,
                                          const ServiceHealth* components);

}  // namespace hookd
