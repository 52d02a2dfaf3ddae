// A counting semaphore: down() blocks while the count is 0. Thread context for both (up()
// may run the woken thread at once, through the preemption point after the wake-up).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/wait_queue.h"

namespace ksched {

class Semaphore {
 public:
  explicit Semaphore(std::uint32_t initial = 0) : count_(initial) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void down();
  [[nodiscard]] bool try_down();
  void up();
  std::uint32_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint32_t> count_;
  sched::WaitQueue waiters_;
};

}  // namespace ksched
