#include "api/idempotency.h"

#include <functional>
#include <memory>

namespace hookd::api {

namespace {

std::string cache_key(const HttpRequest& req) {
  std::string key = req.caller.token_id;
  key += '\n';
  key += req.path;
  key += '\n';
  key += req.idempotency_key;
  return key;
}

}  // namespace

IdempotencyCache::IdempotencyCache(int64_t ttl_ms, size_t max_entries, size_t max_bytes)
    : ttl_ms_(ttl_ms), max_entries_(max_entries), max_bytes_(max_bytes) {}

Responder IdempotencyCache::guard(const HttpRequest& req, Responder respond, int64_t now_ms) {
  if (req.idempotency_key.size() > kMaxKeyLength) {
    respond(error_response(
        422, "validation",
        "idempotency-key: at most " + std::to_string(kMaxKeyLength) + " characters"));
    return {};
  }
  const uint64_t fingerprint = std::hash<std::string_view>{}(req.body);
  std::string key = cache_key(req);
  std::unique_lock lock(mu_);
  evict(now_ms);
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = it->second;
  if (!inserted) {
    if (entry.fingerprint != fingerprint) {
      lock.unlock();
      respond(error_response(422, "validation",
                             "idempotency-key: already used for a request with another body"));
    } else if (entry.done) {
      HttpResponse again = entry.response;
      lock.unlock();
      respond(std::move(again));
    } else {
      entry.waiting.push_back(std::move(respond));
    }
    return {};
  }
  entry.fingerprint = fingerprint;
  entry.seq = ++seq_;
  order_.push_back({key, now_ms, entry.seq});
  bytes_ += key.size();
  lock.unlock();
  return [this, key = std::move(key), respond = std::move(respond)](HttpResponse response) {
    finish(key, response);
    respond(std::move(response));
  };
}

void IdempotencyCache::finish(const std::string& key, HttpResponse response) {
  std::vector<Responder> waiting;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    waiting = std::move(it->second.waiting);
    if (response.status >= 500) {
      entries_.erase(it);  // its place in order_ goes when it comes up
    } else {
      it->second.done = true;
      it->second.response = response;
      bytes_ += response.body.size();
    }
  }
  for (auto& w : waiting) w(response);
}

void IdempotencyCache::evict(int64_t now_ms) {
  while (!order_.empty() && (order_.front().at + ttl_ms_ <= now_ms ||
                             entries_.size() > max_entries_ || bytes_ > max_bytes_)) {
    const Order& oldest = order_.front();
    auto it = entries_.find(oldest.key);
    const bool current = it != entries_.end() && it->second.seq == oldest.seq;
    if (current && !it->second.done) break;  // the oldest still runs; the rest are newer
    if (current) {
      bytes_ -= it->second.response.body.size();
      entries_.erase(it);
    }
    bytes_ -= oldest.key.size();  // an entry dropped after a 5xx leaves only its key here
    order_.pop_front();
  }
}

size_t IdempotencyCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace hookd::api
