#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "catalog/catalog.h"
#include "store/store.h"

namespace hookd {

// The one way catalog objects change: commit the change to the store, then publish it to the
// Catalog, so the Catalog never shows what a crash could lose. API handlers and the health
// monitor write through it; it is where a cluster's change notices plug in.
//
// Thread-safe. Whoever reads an object, validates a change and writes it holds mutex() across
// the three steps, so two changes of one object never interleave. The write calls block on the
// store's commit: call them from worker threads, never from an I/O thread.
class CatalogWriter final {
 public:
  CatalogWriter(Store& store, Catalog& catalog) : store_(store), catalog_(catalog) {}
  CatalogWriter(const CatalogWriter&) = delete;
  CatalogWriter& operator=(const CatalogWriter&) = delete;

  std::mutex& mutex() { return mu_; }

  // Each returns the store's result; the Catalog is changed only when it is kOk.
  WriteResult put(const Application& app);
  WriteResult remove_app(const std::string& app_id);  // and its endpoints and sources
  WriteResult put(const EventType& event_type);
  WriteResult remove_event_type(const std::string& name);
  // Compiles the endpoint (compile_endpoint) before committing: throws std::invalid_argument,
  // and stores nothing, when its filter or key is unusable.
  WriteResult put(const Endpoint& endpoint);
  WriteResult remove_endpoint(const std::string& endpoint_id);
  WriteResult put(const InboundSource& source);
  WriteResult remove_source(const std::string& source_id);
  WriteResult put(const ApiToken& token);  // create, or revoke (revoked_at set)
  // `new_version`: the journey's definition is stored as version journey.version too.
  WriteResult put(const Journey& journey, bool new_version);
  WriteResult remove_journey(const std::string& journey_id);

  // Cluster mode (catalog/catalog_follower.h): when the store's catalog_version moved on from
  // `version`, reads the whole catalog and applies it (Catalog::sync). Returns the version it
  // applied. Throws what the store's reads throw.
  uint64_t follow(uint64_t version);

 private:
  // Constant after construction.
  Store& store_;
  Catalog& catalog_;
  std::mutex mu_;  // held by callers across read, validate and write (see above)
  // Held across each commit and its publication, and across follow: a change this node commits
  // while a snapshot is read is published after that snapshot is applied, never undone by it.
  std::mutex publish_mu_;
};

}  // namespace hookd
