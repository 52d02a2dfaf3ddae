#include "sched/sync/completion.h"

namespace sched {

void Completion::complete() {
  Scheduler& sched = current_scheduler();
  // Release: the completer's work happens-before a waiter's acquire in done().
  done_.store(true, std::memory_order_release);
  waiters_.wake_all(sched);
  sched.preempt_point();  // a woken thread may have to run here now (Mutex::unlock)
}

bool Completion::wait_until(std::uint64_t deadline) {
  if (done()) return true;
  return waiters_.wait_until(current_scheduler(), deadline, [&] { return done(); });
}

}  // namespace sched
