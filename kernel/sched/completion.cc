#include "kernel/sched/completion.h"

#include "kernel/sched/kernel_scheduler.h"
#include "kernel/sched/sleep_queue.h"
#include "kernel/time/clock.h"

namespace ksched {

void Completion::complete() {
  // Release: the completer's work happens-before a waiter's acquire in done().
  done_.store(true, std::memory_order_release);
  waiters_.wake_all(scheduler());
  preempt_point();
}

void Completion::wait() {
  waiters_.wait(scheduler(), [&] { return done_.load(std::memory_order_acquire); });
}

bool Completion::wait_for(std::uint64_t timeout_ns) {
  const std::uint64_t deadline = ktime::now_ns() + timeout_ns;
  while (!done()) {
    if (ktime::now_ns() >= deadline) return done();
    sleep_for(kTickNs);
  }
  return true;
}

}  // namespace ksched
