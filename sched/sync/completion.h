// A one-shot event on a WaitQueue: wait() blocks until complete() has been called, then
// returns at once for everyone, for ever.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace sched {

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Marks it done and wakes every waiter. Takes the wait-queue lock.
  void complete(Scheduler& sched);
  // Thread context. Blocks until complete().
  void wait(Scheduler& sched) { (void)wait_until(sched, kNoDeadline); }
  // Thread context. Blocks until complete() or sched.now() >= deadline; returns whether it
  // completed.
  [[nodiscard]] bool wait_until(Scheduler& sched, std::uint64_t deadline);
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  smp::Atomic<bool> done_{false};
  WaitQueue waiters_;
};

}  // namespace sched
