#include "sched/sync/condition_variable.h"

namespace sched {

bool ConditionVariable::wait_until(Scheduler& sched, Thread& self, Mutex& m,
                                   std::uint64_t deadline) {
  // Read while still owning the mutex: a notifier that changed the protected state under the
  // mutex after this point also bumps the generation after it.
  const std::uint64_t seen = generation_.load(std::memory_order_relaxed);
  m.unlock(sched, self);
  const bool notified = waiters_.wait_until(
      sched, deadline, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
  m.lock(sched, self);
  return notified;
}

void ConditionVariable::notify_one(Scheduler& sched) {
  // Relaxed: the wait-queue lock taken by wake_one orders it before the waiter's next check.
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_one(sched);
}

void ConditionVariable::notify_all(Scheduler& sched) {
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_all(sched);
}

}  // namespace sched
