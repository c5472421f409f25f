#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "catalog/catalog_writer.h"

namespace hookd {

// Cluster mode: keeps this node's Catalog in step with the changes other nodes make to the
// store they share. A thread calls CatalogWriter::follow every `interval_ms` (or sooner when
// poke() is called, on a notification from the database): when the store's catalog version
// moved on, the whole catalog is read again and applied. A node's own changes reach its Catalog
// directly and come back once more through here, which changes nothing. After the database was
// unreachable the first good read catches up with everything missed.
//
// Thread-safe: start, stop and poke may be called from any thread.
class CatalogFollower final {
 public:
  // `version`: the catalog version read before the Catalog was loaded.
  CatalogFollower(CatalogWriter& writer, uint64_t version, int64_t interval_ms = 250);
  ~CatalogFollower();
  CatalogFollower(const CatalogFollower&) = delete;
  CatalogFollower& operator=(const CatalogFollower&) = delete;

  void start();
  void stop();
  void poke();

 private:
  void run();

  CatalogWriter& writer_;
  const int64_t interval_ms_;
  uint64_t version_;  // follower thread only, after start

  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookd
