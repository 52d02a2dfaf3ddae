// Figures: context switch (two threads yielding to each other on one CPU), wake-up latency (a
// semaphore up() to the woken thread running, same CPU and across CPUs), and the speed-up of a
// CPU-bound workload split over 1, 2, 4 threads. Times from the TSC (ktime::now_ns).
#include <atomic>

#include "kernel/console/log.h"
#include "kernel/sched/sched_bench.h"
#include "kernel/sched/kernel_scheduler.h"
#include "kernel/sched/kthread.h"
#include "kernel/sched/semaphore.h"
#include "kernel/time/clock.h"

namespace ksched {
namespace {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kJoinNs = 20'000 * kMs;

smp::CpuSet only(std::uint32_t cpu) {
  smp::CpuSet s;
  s.add(platform::CpuNumber{cpu});
  return s;
}

// ---- Context switch ------------------------------------------------------------------------

constexpr std::uint32_t kYields = 20'000;

void yielder(void*) {
  for (std::uint32_t i = 0; i < kYields; ++i) scheduler().yield();
}

// ---- Wake-up latency -----------------------------------------------------------------------

constexpr std::uint32_t kWakes = 2'000;

struct Latency {
  Semaphore go, back;
  std::atomic<std::uint64_t> posted{0};
  std::uint64_t total = 0;
  std::uint64_t worst = 0;
};

void waker(void* arg) {
  auto& l = *static_cast<Latency*>(arg);
  for (std::uint32_t i = 0; i < kWakes; ++i) {
    l.posted.store(ktime::now_ns(), std::memory_order_relaxed);
    l.go.up();
    l.back.down();
  }
}

void wakee(void* arg) {
  auto& l = *static_cast<Latency*>(arg);
  for (std::uint32_t i = 0; i < kWakes; ++i) {
    l.go.down();
    const std::uint64_t d = ktime::now_ns() - l.posted.load(std::memory_order_relaxed);
    l.total += d;
    if (d > l.worst) l.worst = d;
    l.back.up();
  }
}

bool measure_latency(const char* what, std::uint32_t waker_cpu, std::uint32_t wakee_cpu) {
  Latency l;
  ThreadOptions o;
  o.name = "wakee";
  o.affinity = only(wakee_cpu);
  auto b = create_thread(o, &wakee, &l);
  o.name = "waker";
  o.affinity = only(waker_cpu);
  auto a = create_thread(o, &waker, &l);
  if (!a || !b) return false;
  if (!join(a.value(), kJoinNs) || !join(b.value(), kJoinNs)) return false;
  klog::info("sched_bench: wakeup latency {}: mean {} ns, max {} ns ({} wake-ups)", what,
             l.total / kWakes, l.worst, kWakes);
  return true;
}

// ---- Parallel speed-up -----------------------------------------------------------------------

constexpr std::uint64_t kWorkUnits = 64;
constexpr std::uint64_t kUnitIterations = 200'000;
std::atomic<std::uint64_t> g_next_unit{0};
std::atomic<std::uint64_t> g_sink{0};

void worker(void*) {
  for (;;) {
    const std::uint64_t unit = g_next_unit.fetch_add(1, std::memory_order_relaxed);
    if (unit >= kWorkUnits) return;
    std::uint64_t x = unit + 1;
    for (std::uint64_t i = 0; i < kUnitIterations; ++i) x = x * 6364136223846793005ull + 1;
    g_sink.fetch_add(x, std::memory_order_relaxed);
  }
}

// Wall time of the whole workload with `threads` workers, or 0 on failure.
std::uint64_t run_parallel(std::uint32_t threads) {
  KThread* ts[8] = {};
  g_next_unit.store(0);
  const std::uint64_t t0 = ktime::now_ns();
  for (std::uint32_t i = 0; i < threads; ++i) {
    ThreadOptions o;
    o.name = "worker";
    auto t = create_thread(o, &worker, nullptr);
    if (!t) return 0;
    ts[i] = t.value();
  }
  for (std::uint32_t i = 0; i < threads; ++i) {
    if (!join(ts[i], kJoinNs)) return 0;
  }
  return ktime::now_ns() - t0;
}

}  // namespace

bool run_bench() {
  const std::uint32_t cpus = online_cpu_count();
  klog::info("sched_bench: {} CPUs online", cpus);
  {
    const std::uint32_t cpu = cpus - 1;
    ThreadOptions o;
    o.name = "yielder";
    o.affinity = only(cpu);
    const std::uint64_t t0 = ktime::now_ns();
    auto a = create_thread(o, &yielder, nullptr);
    auto b = create_thread(o, &yielder, nullptr);
    if (!a || !b || !join(a.value(), kJoinNs) || !join(b.value(), kJoinNs)) return false;
    const std::uint64_t dt = ktime::now_ns() - t0;
    klog::info("sched_bench: context switch (yield, one CPU): {} ns ({} switches)",
               dt / (2 * kYields), 2 * kYields);
  }
  if (!measure_latency("same CPU", cpus - 1, cpus - 1)) return false;
  if (cpus > 1 && !measure_latency("cross CPU", 0, cpus - 1)) return false;
  const std::uint64_t base = run_parallel(1);
  if (base == 0) return false;
  klog::info("sched_bench: parallel 1 thread: {} ms", base / kMs);
  for (std::uint32_t n = 2; n <= 4; n *= 2) {
    const std::uint64_t t = run_parallel(n);
    if (t == 0) return false;
    klog::info("sched_bench: parallel {} threads: {} ms, speed-up {}.{:02}", n, t / kMs,
               base / t, (base * 100 / t) % 100);
  }
  return true;
}

}  // namespace ksched
