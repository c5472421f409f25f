#include "delivery/delivery_ledger.h"

namespace hookd {

bool DeliveryLedger::stale_read(const DeliveryJob& job) {
  while (!settled_order_.empty() && settled_order_.front().first < job.snapshot_seq) {
    auto it = settled_.find(settled_order_.front().second);
    if (it != settled_.end() && it->second == settled_order_.front().first) settled_.erase(it);
    settled_order_.pop_front();
  }
  if (!job.message) return true;  // a watermark only
  auto it = settled_.find(key_of(job));
  return it != settled_.end() && it->second >= job.snapshot_seq;
}

}  // namespace hookd
