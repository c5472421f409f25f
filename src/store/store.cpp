#include "store/store.h"

#include <future>
#include <stdexcept>

namespace hookd {

WriteResult Store::write_sync(WriteOp op) {
  std::promise<WriteResult> promise;
  auto future = promise.get_future();
  write(std::move(op), [&promise](const WriteResult& result) { promise.set_value(result); });
  return future.get();
}

ClaimedPage Store::claim_due(int64_t, int, const std::vector<std::string>&) {
  throw std::logic_error("this store does not claim deliveries: read pending_page instead");
}

}  // namespace hookd
