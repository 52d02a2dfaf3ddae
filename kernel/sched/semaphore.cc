#include "kernel/sched/semaphore.h"

#include "kernel/sched/kernel_scheduler.h"

namespace ksched {

bool Semaphore::try_down() {
  std::uint32_t c = count_.load(std::memory_order_relaxed);
  // Acquire: whatever the up()per wrote before its release increment is visible to us.
  while (c != 0) {
    if (count_.compare_exchange_weak(c, c - 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void Semaphore::down() {
  if (try_down()) return;
  waiters_.wait(scheduler(), [&] { return try_down(); });
}

void Semaphore::up() {
  // Release: pairs with the acquire in try_down.
  count_.fetch_add(1, std::memory_order_release);
  waiters_.wake_one(scheduler());
  preempt_point();
}

}  // namespace ksched
