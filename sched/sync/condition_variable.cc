#include "sched/sync/condition_variable.h"

namespace sched {

bool ConditionVariable::wait_until(Mutex& m, std::uint64_t deadline) {
  Scheduler& sched = current_scheduler();
  Thread& self = *sched.current();
  if (m.owner() != &self) {
    Mutex::report_misuse(BugKind::kMutexNotOwner, self);
    return false;
  }
  // Read while still owning the mutex: a notifier that changed the protected state under the
  // mutex after this point also bumps the generation after it.
  const std::uint64_t seen = generation_.load(std::memory_order_relaxed);
  m.release(sched, self);
  const bool notified = waiters_.wait_until(
      sched, deadline, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
  (void)m.lock_until(sched, self, kNoDeadline);
  return notified;
}

void ConditionVariable::notify_one() {
  Scheduler& sched = current_scheduler();
  // Relaxed: the wait-queue lock taken by wake_one orders it before the waiter's next check.
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_one(sched);
  sched.preempt_point();  // the woken thread may have to run here now (Mutex::unlock)
}

void ConditionVariable::notify_all() {
  Scheduler& sched = current_scheduler();
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_all(sched);
  sched.preempt_point();
}

}  // namespace sched
