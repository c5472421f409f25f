#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery/ssrf.h"

namespace hookd {

// A receiver's host and port as libcurl reads them from an endpoint URL (the port defaults by
// scheme; an IPv6 host comes without brackets).
struct UrlTarget {
  std::string host;
  int port = 0;
};
std::optional<UrlTarget> url_target(const std::string& url);

// What hookd may connect to for one host.
struct ResolvedTarget {
  enum class Status { kAllowed, kRefused, kUnresolved };
  Status status = Status::kUnresolved;
  std::string address;  // kAllowed: the checked address; kRefused: the first refused one
  std::string error;    // kUnresolved: why the name did not resolve
};

// Resolves receivers' host names on hookd's side for deliveries through an egress proxy, so the
// SSRF policy sees the receiver's addresses (libcurl's socket callback only sees the proxy's).
// A host is refused when any of its addresses is refused. Lookups are cached, 30 s for a name
// that resolved and 5 s for one that did not, so a delivery thread blocks on DNS (getaddrinfo)
// at most once per host per 30 s; the policy is applied on every call (cheap), the cache only
// holds addresses.
//
// Thread-safe: delivery threads and API workers (the endpoint test) share one instance.
class TargetResolver final {
 public:
  struct Options {
    int64_t ttl_ms = 30'000;
    int64_t failure_ttl_ms = 5'000;
    size_t max_hosts = 4096;  // the cache starts over beyond this
  };
  TargetResolver() : TargetResolver(Options{}) {}
  explicit TargetResolver(Options options) : options_(options) {}

  // The instance every Transfer uses.
  static TargetResolver& shared();

  ResolvedTarget resolve(const std::string& host, const AddressPolicy& policy, int64_t now_ms);

 private:
  struct Entry {
    std::vector<std::array<uint8_t, 16>> addresses;  // IPv4 as IPv4-mapped IPv6
    std::string error;                               // set when the name did not resolve
    int64_t expires_ms = 0;
  };
  static Entry look_up(const std::string& host);

  // Constant after construction.
  const Options options_;

  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // guarded by mu_
};

}  // namespace hookd
