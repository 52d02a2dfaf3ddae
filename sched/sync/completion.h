// A one-shot event on a WaitQueue: wait() blocks until complete() has been called, then
// returns at once for everyone, for ever. It blocks on current_scheduler()
// (sched/current_scheduler.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/current_scheduler.h"
#include "sched/scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace sched {

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Thread context. Marks it done and wakes every waiter (takes the wait-queue lock), then a
  // preemption point.
  void complete();
  // Thread context. Blocks until complete().
  void wait() { (void)wait_until(kNoDeadline); }
  // Thread context. Sleeps until complete(), or until the scheduler's now() >= deadline, or
  // for `timeout_ns` (a timer on this CPU wakes it, no polling); returns whether it completed.
  [[nodiscard]] bool wait_until(std::uint64_t deadline);
  [[nodiscard]] bool wait_for(std::uint64_t timeout_ns) {
    return wait_until(deadline_after(timeout_ns));
  }
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  smp::Atomic<bool> done_{false};
  WaitQueue waiters_;
};

}  // namespace sched
