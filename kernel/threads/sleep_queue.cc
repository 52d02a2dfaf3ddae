#include "kernel/threads/sleep_queue.h"

#include <atomic>

#include "kernel/threads/kernel_scheduler.h"
#include "kernel/time/clock.h"

namespace kthreads {
namespace {

// Relaxed: written once by the boot CPU before the scheduler is published (release in
// start_boot_cpu), read after.
std::atomic<std::uint32_t> g_cpus{0};

}  // namespace

bool init_sleep_queues(std::uint32_t cpus) {
  g_cpus.store(cpus, std::memory_order_relaxed);
  return true;
}

void sleep_until(std::uint64_t deadline_ns) {
  // The scheduler's clock is ktime::now_ns() (kernel_scheduler.cc's now_ns hook).
  scheduler().sleep_until(deadline_ns);
}

void sleep_for(std::uint64_t ns) { sleep_until(ktime::now_ns() + ns); }

void expire_sleepers() {
  if (!running()) return;
  (void)scheduler().expire_timers();
}

std::uint32_t sleepers_on(std::uint32_t cpu) {
  if (!running() || cpu >= g_cpus.load(std::memory_order_relaxed)) return 0;
  return scheduler().runqueue(platform::CpuNumber{cpu}).timers.count();
}

}  // namespace kthreads
