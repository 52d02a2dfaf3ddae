// A counting semaphore on a WaitQueue: down() blocks while the count is 0, up() adds one and
// wakes a waiter. Thread context for the blocking calls; up() never blocks.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace sched {

class Semaphore {
 public:
  explicit Semaphore(std::uint32_t initial = 0) : count_(initial) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void down(Scheduler& sched) { (void)down_until(sched, kNoDeadline); }
  // As down(), giving up once sched.now() >= deadline. Returns whether it took one.
  [[nodiscard]] bool down_until(Scheduler& sched, std::uint64_t deadline);
  [[nodiscard]] bool try_down();
  // Adds one and wakes the first waiter that was asleep. Takes the wait-queue lock.
  void up(Scheduler& sched);
  std::uint32_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  smp::Atomic<std::uint32_t> count_;
  WaitQueue waiters_;
};

}  // namespace sched
