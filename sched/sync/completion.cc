#include "sched/sync/completion.h"

namespace sched {

void Completion::complete(Scheduler& sched) {
  // Release: the completer's work happens-before a waiter's acquire in done().
  done_.store(true, std::memory_order_release);
  waiters_.wake_all(sched);
}

bool Completion::wait_until(Scheduler& sched, std::uint64_t deadline) {
  if (done()) return true;
  return waiters_.wait_until(sched, deadline, [&] { return done(); });
}

}  // namespace sched
