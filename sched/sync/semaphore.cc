#include "sched/sync/semaphore.h"

namespace sched {

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

bool Semaphore::down_until(std::uint64_t deadline) {
  if (try_down()) return true;
  return waiters_.wait_until(current_scheduler(), deadline, [&] { return try_down(); });
}

void Semaphore::up() {
  Scheduler& sched = current_scheduler();
  // Release: pairs with the acquire in try_down.
  count_.fetch_add(1, std::memory_order_release);
  waiters_.wake_one(sched);
  sched.preempt_point();  // the woken thread may have to run here now (Mutex::unlock)
}

}  // namespace sched
