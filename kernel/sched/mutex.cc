#include "kernel/sched/mutex.h"

#include "kernel/core/panic.h"
#include "kernel/sched/kernel_scheduler.h"

namespace ksched {

void Mutex::lock() {
  sched::Thread* self = current();
  if (try_take(self)) return;
  if (owner_.load(std::memory_order_relaxed) == self) panic("mutex {:p}: recursive lock", this);
  // The take is retried under the wait-queue lock: an unlock that clears the owner before we
  // link ourselves makes it succeed; one after finds us linked (no lost wake-up).
  waiters_.wait(scheduler(), [&] { return try_take(self); });
}

bool Mutex::try_lock() { return try_take(current()); }

void Mutex::unlock() {
  sched::Thread* self = current();
  if (owner_.load(std::memory_order_relaxed) != self) {
    panic("mutex {:p}: unlocked by '{}', owner {:p}", this, self ? self->name : "-",
          static_cast<void*>(owner_.load(std::memory_order_relaxed)));
  }
  // Release: our critical section happens-before the next owner's acquire.
  owner_.store(nullptr, std::memory_order_release);
  waiters_.wake_one(scheduler());
  preempt_point();
}

}  // namespace ksched
