#include "kernel/proc/load_average.h"

#include "kernel/threads/kernel_scheduler.h"
#include "smp/atomic.h"

namespace kproc {
namespace {

constexpr std::uint64_t kExp[3] = {1884, 2014, 2037};  // EXP_1, EXP_5, EXP_15

// Written by the one sampling thread; read by anyone (each a single word: relaxed).
smp::Atomic<std::uint64_t> g_load[3] = {};
smp::Atomic<std::uint32_t> g_runnable{0};
std::uint64_t g_next_sample = 0;  // the sampling thread's own

// One runnable thread from zero: 2048 * (2048 - 1884) / 2048 = 164, rounded up while rising.
static_assert(damp(0, 1884, 1) == 164);

}  // namespace

void sample_load_average(std::uint64_t now, std::uint32_t exclude) {
  if (now < g_next_sample) return;
  g_next_sample = now + kLoadSampleNs;
  sched::Scheduler& s = kthreads::scheduler();
  std::uint32_t runnable = 0;
  for (std::uint32_t c = 0; c < s.cpu_count(); ++c) {
    const sched::RunQueue& rq = s.runqueue(platform::CpuNumber{c});
    if (rq.online.load(std::memory_order_acquire)) runnable += rq.published_load().nr_running;
  }
  runnable = runnable > exclude ? runnable - exclude : 0;
  g_runnable.store(runnable, std::memory_order_relaxed);
  for (int i = 0; i < 3; ++i) {
    g_load[i].store(damp(g_load[i].load(std::memory_order_relaxed), kExp[i], runnable),
                    std::memory_order_relaxed);
  }
}

LoadAverage load_average() {
  LoadAverage a;
  for (int i = 0; i < 3; ++i) a.load[i] = g_load[i].load(std::memory_order_relaxed);
  a.runnable = g_runnable.load(std::memory_order_relaxed);
  return a;
}

}  // namespace kproc
