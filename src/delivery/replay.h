#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "delivery/delivery_job.h"
#include "store/store.h"

// Replay (recover, bulk retry): sending an application's failed deliveries again as manual
// attempts. Callable from any thread; the store and the catalog are read with their own locks.
namespace hookd {

class Dispatcher;

// At most this many deliveries are replayed by one call.
constexpr int kMaxReplay = 10'000;

// The failed deliveries of `app_id` whose messages were created in [since, until), of
// `endpoint_id` (every endpoint when empty) and of `event_types` (every type when empty), as
// replay jobs due at `now`; deliveries of disabled or deleted endpoints are left out.
std::vector<DeliveryJob> replay_jobs(Store& store, const Catalog& catalog,
                                     const std::string& app_id, const std::string& endpoint_id,
                                     const std::vector<std::string>& event_types, int64_t since,
                                     int64_t until, int64_t now);

// replay_jobs handed to `dispatcher`; returns how many.
size_t replay_failed(Store& store, const Catalog& catalog, Dispatcher& dispatcher,
                     const std::string& app_id, const std::string& endpoint_id,
                     const std::vector<std::string>& event_types, int64_t since, int64_t until,
                     int64_t now);

}  // namespace hookd
