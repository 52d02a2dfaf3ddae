// A counting semaphore on a WaitQueue: down() blocks while the count is 0, up() adds one and
// wakes a waiter. Thread context for both: up() never blocks, but may switch to the woken
// thread at once (the preemption point after its wake-up). It blocks on current_scheduler()
// (sched/current_scheduler.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/current_scheduler.h"
#include "sched/scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace sched {

class Semaphore {
 public:
  explicit Semaphore(std::uint32_t initial = 0) : count_(initial) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void down() { (void)down_until(kNoDeadline); }
  // As down(), giving up once the scheduler's now() >= deadline, or after `timeout_ns`.
  // Returns whether it took one.
  [[nodiscard]] bool down_until(std::uint64_t deadline);
  [[nodiscard]] bool down_for(std::uint64_t timeout_ns) {
    return down_until(deadline_after(timeout_ns));
  }
  [[nodiscard]] bool try_down();
  // Adds one and wakes the first waiter that was asleep (takes the wait-queue lock), then a
  // preemption point.
  void up();
  std::uint32_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  smp::Atomic<std::uint32_t> count_;
  WaitQueue waiters_;
};

}  // namespace sched
