// A condition variable for sched::Mutex. wait() releases the mutex and sleeps until a notify
// that came after it started waiting (or spuriously: callers loop on a predicate), then takes
// the mutex again. A generation counter makes release-and-sleep atomic with respect to
// notifiers: a notify between the unlock and the sleep changes the generation, which the
// sleep's condition (checked under the wait-queue lock) sees.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/scheduler.h"
#include "sched/sync/mutex.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace sched {

class ConditionVariable {
 public:
  ConditionVariable() = default;
  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;

  // Needs: `self` owns `m`. Returns owning it again.
  void wait(Scheduler& sched, Thread& self, Mutex& m) {
    (void)wait_until(sched, self, m, kNoDeadline);
  }
  // As wait(), giving up the sleep once sched.now() >= deadline (the mutex is then re-taken
  // without a deadline). Returns true if notified, false on timeout.
  [[nodiscard]] bool wait_until(Scheduler& sched, Thread& self, Mutex& m,
                                std::uint64_t deadline);
  void notify_one(Scheduler& sched);
  void notify_all(Scheduler& sched);

 private:
  smp::Atomic<std::uint64_t> generation_{0};
  WaitQueue waiters_;
};

}  // namespace sched
