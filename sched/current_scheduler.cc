#include "sched/current_scheduler.h"

#include <atomic>

#include "sched/scheduler.h"
#include "sched/timer_queue.h"

namespace sched {
namespace {

// A plain std::atomic, not smp::Atomic: set-up, not one of the races the interleaving explorer
// looks for.
std::atomic<Scheduler*> g_current{nullptr};

}  // namespace

Scheduler& current_scheduler() {
  // Acquire: pairs with the release in install_scheduler, so a thread that finds the scheduler
  // sees it constructed (its installer also publishes it by starting the threads that use it).
  Scheduler* s = g_current.load(std::memory_order_acquire);
  if (s == nullptr) __builtin_trap();
  return *s;
}

std::uint64_t deadline_after(std::uint64_t timeout_ns) {
  const std::uint64_t now = current_scheduler().now();
  return timeout_ns >= kNoDeadline - now ? kNoDeadline : now + timeout_ns;
}

Scheduler* install_scheduler(Scheduler* s) {
  return g_current.exchange(s, std::memory_order_acq_rel);
}

}  // namespace sched
