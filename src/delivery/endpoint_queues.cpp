#include "delivery/endpoint_queues.h"

namespace hookd {

void EndpointQueues::undefer(int64_t now_ms) {
  while (!deferred_.empty() && deferred_.top().first <= now_ms) {
    const std::string endpoint_id = deferred_.top().second;
    deferred_.pop();
    auto it = queues_.find(endpoint_id);
    if (it == queues_.end()) continue;
    EndpointQueue& queue = it->second;
    queue.deferred = false;
    queue.batch_wait = false;
    if (!queue.listed && !queue.ready.empty()) list(queue, endpoint_id);
  }
}

}  // namespace hookd
