#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http.h"

// Idempotency keys: a POST that carries `idempotency-key` and repeats one already answered (same
// token, path and key) gets the first answer again instead of running twice, as Svix's API does
// (its SDKs retry with the same key). A repeat that arrives while the first still runs waits for
// its answer. Answers of 5xx are not kept, so a retry after a server error runs again.
//
// Kept in memory for `ttl_ms` (24 hours by default) and within a budget of entries and bytes,
// the oldest going first: a key protects against retries, not forever. Durable de-duplication of
// messages across restarts and nodes is the message's `eventId`. Thread-safe.
namespace hookd::api {

class IdempotencyCache final {
 public:
  static constexpr size_t kMaxKeyLength = 256;

  explicit IdempotencyCache(int64_t ttl_ms = 24 * 3'600'000, size_t max_entries = 100'000,
                            size_t max_bytes = 64u << 20);

  // For a request with a key: answers a repeat itself (now, or when the first is answered) and
  // returns an empty responder; otherwise returns the responder to answer the request with,
  // which keeps the answer for the repeats. `now_ms` orders expiry.
  Responder guard(const HttpRequest& req, Responder respond, int64_t now_ms);

  size_t size() const;

 private:
  struct Entry {
    uint64_t fingerprint = 0;  // of the body: the same key with another body is refused
    bool done = false;
    HttpResponse response;
    std::vector<Responder> waiting;
    uint64_t seq = 0;  // which insertion of the key this is
  };
  struct Order {
    std::string key;
    int64_t at = 0;  // unix ms
    uint64_t seq = 0;
  };

  void finish(const std::string& key, HttpResponse response);
  void evict(int64_t now_ms);  // with mu_ held

  const int64_t ttl_ms_;
  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<Order> order_;  // insertions, oldest first
  uint64_t seq_ = 0;
  size_t bytes_ = 0;  // keys in order_ and kept answers' bodies
};

}  // namespace hookd::api
