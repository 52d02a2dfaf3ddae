#include "kernel/threads/condition_variable.h"

#include "kernel/threads/kernel_scheduler.h"

namespace ksched {

std::uint64_t ConditionVariable::now_ns() { return scheduler().now(); }

void ConditionVariable::wait(Mutex& m) { impl_.wait(scheduler(), *current(), m.impl()); }

bool ConditionVariable::wait_for(Mutex& m, std::uint64_t timeout_ns) {
  return impl_.wait_until(scheduler(), *current(), m.impl(), scheduler().now() + timeout_ns);
}

void ConditionVariable::notify_one() {
  impl_.notify_one(scheduler());
  preempt_point();
}

void ConditionVariable::notify_all() {
  impl_.notify_all(scheduler());
  preempt_point();
}

}  // namespace ksched
