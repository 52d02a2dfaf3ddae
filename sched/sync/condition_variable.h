// A condition variable for sched::Mutex. wait() releases the mutex and sleeps until a notify
// that came after it started waiting (or spuriously: callers loop on a predicate), then takes
// the mutex again. A generation counter makes release-and-sleep atomic with respect to
// notifiers: a notify between the unlock and the sleep changes the generation, which the
// sleep's condition (checked under the wait-queue lock) sees. It blocks on current_scheduler()
// (sched/current_scheduler.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/current_scheduler.h"
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

  // Needs: the caller owns `m` (else reported as kMutexNotOwner, and it returns at once).
  // Returns owning it again.
  void wait(Mutex& m) { (void)wait_until(m, kNoDeadline); }
  template <typename Pred>
  void wait(Mutex& m, Pred pred) {
    while (!pred()) wait(m);
  }
  // As wait(), giving up the sleep once the scheduler's now() >= deadline, or after
  // `timeout_ns` (the mutex is then re-taken without a deadline). Returns true if notified,
  // false on timeout.
  [[nodiscard]] bool wait_until(Mutex& m, std::uint64_t deadline);
  [[nodiscard]] bool wait_for(Mutex& m, std::uint64_t timeout_ns) {
    return wait_until(m, deadline_after(timeout_ns));
  }
  // Loops on `pred` until it holds or the deadline passes; returns pred() at the end.
  template <typename Pred>
  [[nodiscard]] bool wait_until(Mutex& m, std::uint64_t deadline, Pred pred) {
    while (!pred()) {
      if (!wait_until(m, deadline)) return pred();
    }
    return true;
  }
  template <typename Pred>
  [[nodiscard]] bool wait_for(Mutex& m, std::uint64_t timeout_ns, Pred pred) {
    return wait_until(m, deadline_after(timeout_ns), pred);
  }
  // Thread context. Wake one (the first) or every waiter (takes the wait-queue lock), then a
  // preemption point.
  void notify_one();
  void notify_all();

 private:
  smp::Atomic<std::uint64_t> generation_{0};
  WaitQueue waiters_;
};

}  // namespace sched
