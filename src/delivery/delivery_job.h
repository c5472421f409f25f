#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/message.h"

// The unit of work of the delivery threads: one delivery of a message to an endpoint, waiting
// for its next attempt (TriggerType is the model's, src/model/message.h). A plain value: a job
// belongs to one thread at a time and is handed between threads by move.
namespace hookd {

// One delivery of a message to an endpoint, waiting for its next attempt.
struct DeliveryJob {
  MessagePtr message;
  std::string endpoint_id;
  int attempts_made = 0;
  int64_t due_at = 0;  // unix ms
  TriggerType trigger = TriggerType::kScheduled;
  // For jobs read from the store: 1 + the store's commit sequence when the read began (0 for
  // jobs handed over live). Lets a delivery thread tell a stale read from a pending delivery.
  uint64_t snapshot_seq = 0;
  // Cluster mode: the claim the job is held under (Store::claim_due; 0: none) and when its
  // lease ends (unix ms). A job whose request could not end before then is not sent: another
  // node may claim the delivery after it.
  uint64_t claim = 0;
  int64_t lease_until = 0;
  // A replay (recover, bulk retry) of a failed delivery: at most one copy is on its way, so a
  // second replay call made before the first one's outcome is recorded sends nothing twice.
  bool replay = false;
  // The other deliveries of a failed batch, retried with this one in one request
  // (docs/endpoint-options.md, "Batching"); null otherwise.
  std::shared_ptr<std::vector<DeliveryJob>> batch_rest;
};

}  // namespace hookd
