#include "kernel/sched/condition_variable.h"

#include "kernel/sched/kernel_scheduler.h"

namespace ksched {

void ConditionVariable::wait(Mutex& m) {
  // Read while still owning the mutex: a notifier that changed the protected state under the
  // mutex after this point also bumps the generation after it.
  const std::uint64_t seen = generation_.load(std::memory_order_relaxed);
  m.unlock();
  waiters_.wait(scheduler(),
                [&] { return generation_.load(std::memory_order_relaxed) != seen; });
  m.lock();
}

void ConditionVariable::notify_one() {
  // Relaxed: the wait-queue lock taken by wake_one orders it before the waiter's next check.
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_one(scheduler());
  preempt_point();
}

void ConditionVariable::notify_all() {
  generation_.fetch_add(1, std::memory_order_relaxed);
  waiters_.wake_all(scheduler());
  preempt_point();
}

}  // namespace ksched
