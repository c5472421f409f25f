#pragma once

#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/token.h"

namespace hookd {

// The in-memory copy of every stored API token (model/token.h), found by the hash of its
// secret: authenticating a request is one hash lookup, never a store read. Revoked and expired
// tokens stay listed (the audit log names them); whoever authenticates checks usable().
//
// Thread-safe. Changed only after the store committed the change (CatalogWriter::put).
class TokenRegistry final {
 public:
  std::optional<ApiToken> by_secret_hash(std::string_view secret_hash) const;
  std::optional<ApiToken> find(std::string_view id) const;
  std::vector<ApiToken> list() const;  // by id: oldest first
  void put(const ApiToken& token);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  Map<ApiToken> by_id_;
  Map<std::string> id_by_hash_;
};

}  // namespace hookd
