#include "kernel/threads/mutex.h"

#include "kernel/core/panic.h"
#include "kernel/threads/kernel_scheduler.h"

namespace ksched {

void Mutex::lock() { (void)try_lock_until(sched::kNoDeadline); }

bool Mutex::try_lock() { return impl_.try_lock(scheduler(), *current()); }

bool Mutex::try_lock_for(std::uint64_t timeout_ns) {
  return try_lock_until(scheduler().now() + timeout_ns);
}

bool Mutex::try_lock_until(std::uint64_t deadline_ns) {
  sched::Thread* self = current();
  if (impl_.owner() == self) panic("mutex {:p}: recursive lock", this);
  return impl_.lock_until(scheduler(), *self, deadline_ns);
}

void Mutex::unlock() {
  sched::Thread* self = current();
  if (impl_.owner() != self) {
    panic("mutex {:p}: unlocked by '{}', owner {:p}", this, self ? self->name : "-",
          static_cast<void*>(impl_.owner()));
  }
  impl_.unlock(scheduler(), *self);
  preempt_point();
}

}  // namespace ksched
