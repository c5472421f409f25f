#include "delivery/target_resolver.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace hookd {

namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::optional<std::string> url_part(CURLU* url, CURLUPart part, unsigned flags) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK || raw == nullptr) return std::nullopt;
  std::string out(raw);
  curl_free(raw);
  return out;
}

std::string address_text(const std::array<uint8_t, 16>& ip) {
  char text[INET6_ADDRSTRLEN] = "?";
  const bool mapped = std::all_of(ip.begin(), ip.begin() + 10, [](uint8_t b) { return b == 0; }) &&
                      ip[10] == 0xff && ip[11] == 0xff;
  if (mapped) {
    inet_ntop(AF_INET, ip.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, ip.data(), text, sizeof text);
  }
  return text;
}

}  // namespace

std::optional<UrlTarget> url_target(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto host = url_part(parsed.get(), CURLUPART_HOST, 0);
  const auto port = url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!host || host->empty() || !port) return std::nullopt;
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (const auto zone = host->find('%'); zone != std::string::npos) host->resize(zone);
  return UrlTarget{std::move(*host), std::atoi(port->c_str())};
}

TargetResolver& TargetResolver::shared() {
  static TargetResolver resolver;
  return resolver;
}

TargetResolver::Entry TargetResolver::look_up(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  Entry entry;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    entry.error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return entry;
  }
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    std::array<uint8_t, 16> ip{};
    if (ai->ai_family == AF_INET) {
      ip[10] = ip[11] = 0xff;
      std::memcpy(ip.data() + 12, &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
      std::memcpy(ip.data(), &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr, 16);
    } else {
      continue;
    }
    entry.addresses.push_back(ip);
  }
  freeaddrinfo(found);
  if (entry.addresses.empty()) entry.error = "cannot resolve " + host + ": no address";
  return entry;
}

ResolvedTarget TargetResolver::resolve(const std::string& host, const AddressPolicy& policy,
                                       int64_t now_ms) {
  Entry entry;
  bool cached = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(host); it != cache_.end() && it->second.expires_ms > now_ms) {
      entry = it->second;
      cached = true;
    }
  }
  if (!cached) {
    entry = look_up(host);  // outside the lock: other hosts' lookups do not wait for this one
    entry.expires_ms = now_ms + (entry.error.empty() ? options_.ttl_ms : options_.failure_ttl_ms);
    std::lock_guard lock(mu_);
    if (cache_.size() >= options_.max_hosts) cache_.clear();
    cache_[host] = entry;
  }
  ResolvedTarget out;
  if (!entry.error.empty()) {
    out.error = entry.error;
    return out;
  }
  for (const auto& ip : entry.addresses) {
    if (!policy.permits(ip)) {
      out.status = ResolvedTarget::Status::kRefused;
      out.address = address_text(ip);
      return out;
    }
  }
  out.status = ResolvedTarget::Status::kAllowed;
  out.address = address_text(entry.addresses.front());
  return out;
}

}  // namespace hookd
