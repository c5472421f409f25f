#include "catalog/token_registry.h"

#include <algorithm>
#include <mutex>

namespace hookd {

std::optional<ApiToken> TokenRegistry::by_secret_hash(std::string_view secret_hash) const {
  std::shared_lock lock(mu_);
  auto id = id_by_hash_.find(secret_hash);
  if (id == id_by_hash_.end()) return std::nullopt;
  return by_id_.find(id->second)->second;
}

std::optional<ApiToken> TokenRegistry::find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::vector<ApiToken> TokenRegistry::list() const {
  std::vector<ApiToken> out;
  {
    std::shared_lock lock(mu_);
    out.reserve(by_id_.size());
    for (const auto& [id, token] : by_id_) out.push_back(token);
  }
  std::sort(out.begin(), out.end(),
            [](const ApiToken& a, const ApiToken& b) { return a.id < b.id; });
  return out;
}

void TokenRegistry::put(const ApiToken& token) {
  std::unique_lock lock(mu_);
  if (auto old = by_id_.find(token.id); old != by_id_.end()) {
    id_by_hash_.erase(old->second.secret_hash);
  }
  by_id_[token.id] = token;
  id_by_hash_[token.secret_hash] = token.id;
}

}  // namespace hookd
