#include "kernel/files/poll_wait.h"

#include "kernel/threads/kernel_scheduler.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"

namespace kfiles {
namespace {

smp::Atomic<std::uint64_t> g_generation{0};
sched::WaitQueue g_pollers;

}  // namespace

std::uint64_t poll_generation() { return g_generation.load(std::memory_order_acquire); }

void notify_poll() {
  g_generation.fetch_add(1, std::memory_order_acq_rel);
  (void)g_pollers.wake_all(kthreads::scheduler());
}

bool wait_poll(std::uint64_t seen, std::uint64_t deadline_ns, bool (*interrupted)(void*), void* arg) {
  return g_pollers.wait_until(kthreads::scheduler(),
                              deadline_ns == ~0ull ? sched::kNoDeadline : deadline_ns, [&] {
                                return g_generation.load(std::memory_order_acquire) != seen ||
                                       interrupted(arg);
                              });
}

}  // namespace kfiles
