#include "store/store.h"

#include <future>

namespace hookd {

WriteResult Store::write_sync(WriteOp op) {
  std::promise<WriteResult> promise;
  auto future = promise.get_future();
  write(std::move(op), [&promise](const WriteResult& result) { promise.set_value(result); });
  return future.get();
}

}  // namespace hookd
