#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hookd {

// A fixed set of named threads for blocking work (store reads, cold-path writes that wait for
// their commit), so that no I/O thread ever blocks. Thread-safe.
class WorkerPool final {
 public:
  WorkerPool(std::string name, int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Returns false (and drops the task) when the queue is over `max_queued`.
  bool post(std::function<void()> task);
  void stop();

 private:
  static constexpr size_t kMaxQueued = 10'000;

  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_.
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;

  std::vector<std::thread> threads_;
};

}  // namespace hookd
