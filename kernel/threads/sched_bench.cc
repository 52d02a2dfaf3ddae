// Figures (bench/kernel/threads.md): context switch (two threads yielding to each other on one
// CPU), wake-up latency (a semaphore up() to the woken thread running, with the wakee fully
// switched out first, on the same CPU and across CPUs), and the speed-up of a fixed CPU-bound
// workload split over 1, 2, 4 and cpu-count threads. Times from the TSC (ktime::now_ns);
// every figure is a median over repetitions.
#include <atomic>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/raw.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sched_bench.h"
#include "kernel/time/clock.h"
#include "sched/sync/semaphore.h"
#include "smp/platform/platform.h"

namespace kthreads {
namespace {

constexpr std::uint64_t kMs = 1'000'000;
// Generous: a run takes well under a second on TCG; a thread still running after this is a
// lost wake-up or a starved thread, reported as a failed run.
constexpr std::uint64_t kJoinNs = 20'000 * kMs;
// The waker waits at most this long for the wakee to be switched out before each wake-up.
constexpr std::uint64_t kBlockWaitNs = 2'000 * kMs;

// Shell sort (gaps 3h+1): a few thousand samples, once per figure.
void sort(std::uint64_t* v, std::uint32_t n) {
  std::uint32_t gap = 1;
  while (gap < n / 3) gap = gap * 3 + 1;
  for (; gap > 0; gap /= 3) {
    for (std::uint32_t i = gap; i < n; ++i) {
      const std::uint64_t x = v[i];
      std::uint32_t j = i;
      for (; j >= gap && v[j - gap] > x; j -= gap) v[j] = v[j - gap];
      v[j] = x;
    }
  }
}

// Sorts and returns the median.
std::uint64_t median(std::uint64_t* v, std::uint32_t n) {
  sort(v, n);
  return v[n / 2];
}

// ---- Context switch ------------------------------------------------------------------------

constexpr std::uint32_t kSwitchRuns = 5;
constexpr std::uint32_t kYields = 10'000;  // per thread and run

void yielder(void*) {
  for (std::uint32_t i = 0; i < kYields; ++i) scheduler().yield();
}

bool bench_context_switch(std::uint32_t cpu) {
  std::uint64_t per_switch[kSwitchRuns];
  for (std::uint32_t r = 0; r < kSwitchRuns; ++r) {
    ThreadOptions o;
    o.name = "yielder";
    o.affinity = smp::CpuSet::only(cpu);
    const std::uint64_t t0 = ktime::now_ns();
    auto a = create_thread(o, &yielder, nullptr);
    auto b = create_thread(o, &yielder, nullptr);
    if (!a || !b) return false;
    if (!join(a.value(), kJoinNs) || !join(b.value(), kJoinNs)) return false;
    per_switch[r] = (ktime::now_ns() - t0) / (2 * kYields);
  }
  const std::uint64_t med = median(per_switch, kSwitchRuns);
  klog::raw("sched_bench: context switch (2 threads yielding on cpu {}): {} ns per switch "
            "(median of {} runs of {} switches; min {} ns, max {} ns)\n",
            cpu, med, kSwitchRuns, 2 * kYields, per_switch[0], per_switch[kSwitchRuns - 1]);
  return true;
}

// ---- Wake-up latency -----------------------------------------------------------------------

constexpr std::uint32_t kLatencyRuns = 3;
constexpr std::uint32_t kWakes = 1'000;  // per run
std::uint64_t g_latency[kLatencyRuns * kWakes];

struct Latency {
  sched::Semaphore go, back;
  KThread* wakee = nullptr;            // set before the waker starts
  std::atomic<std::uint64_t> posted{0};
  std::uint64_t* samples = nullptr;    // kWakes, written by the wakee
  std::atomic<bool> failed{false};
};

// Blocked and switched out: what "a thread blocked on CPU B" means for the figure (a wakee
// still on its way to sleep would be woken without a switch).
bool switched_out(const sched::Thread& t) {
  return t.state.load(std::memory_order_acquire) == sched::ThreadState::kBlocked &&
         !t.on_cpu.load(std::memory_order_acquire);
}

void waker(void* arg) {
  auto& l = *static_cast<Latency*>(arg);
  for (std::uint32_t i = 0; i < kWakes; ++i) {
    const std::uint64_t deadline = ktime::now_ns() + kBlockWaitNs;
    // Yield rather than spin: on the same CPU the wakee needs it to reach its down().
    while (!switched_out(*l.wakee)) {
      if (ktime::now_ns() > deadline) {
        l.failed.store(true, std::memory_order_relaxed);
        klog::raw("sched_bench: wakee not blocked within {} ms (wake-up {})\n",
                  kBlockWaitNs / kMs, i);
        // Let it finish: it still expects every wake-up.
        break;
      }
      scheduler().yield();
    }
    l.posted.store(ktime::now_ns(), std::memory_order_relaxed);
    l.go.up();
    l.back.down();
  }
}

void wakee(void* arg) {
  auto& l = *static_cast<Latency*>(arg);
  for (std::uint32_t i = 0; i < kWakes; ++i) {
    l.go.down();
    l.samples[i] = ktime::now_ns() - l.posted.load(std::memory_order_relaxed);
    l.back.up();
  }
}

bool bench_latency(const char* what, std::uint32_t waker_cpu, std::uint32_t wakee_cpu) {
  for (std::uint32_t r = 0; r < kLatencyRuns; ++r) {
    Latency l;
    l.samples = &g_latency[r * kWakes];
    ThreadOptions o;
    o.name = "wakee";
    o.affinity = smp::CpuSet::only(wakee_cpu);
    auto b = create_thread(o, &wakee, &l);
    if (!b) return false;
    l.wakee = b.value();
    o.name = "waker";
    o.affinity = smp::CpuSet::only(waker_cpu);
    auto a = create_thread(o, &waker, &l);
    if (!a) return false;
    if (!join(a.value(), kJoinNs) || !join(b.value(), kJoinNs)) return false;
    if (l.failed.load(std::memory_order_relaxed)) return false;
  }
  constexpr std::uint32_t n = kLatencyRuns * kWakes;
  const std::uint64_t med = median(g_latency, n);
  klog::raw("sched_bench: wake-up latency {} (cpu {} wakes cpu {}): median {} ns, p90 {} ns, "
            "min {} ns, max {} ns ({} wake-ups in {} runs)\n",
            what, waker_cpu, wakee_cpu, med, g_latency[n * 9 / 10], g_latency[0],
            g_latency[n - 1], n, kLatencyRuns);
  return true;
}

// ---- Parallel speed-up -----------------------------------------------------------------------

constexpr std::uint32_t kParallelRuns = 5;
constexpr std::uint32_t kMaxWorkers = 64;
// The fixed workload: kWorkUnits units of kUnitIterations multiply-adds, taken one at a time
// by whichever worker is free (so N workers on fewer CPUs still finish the same work).
constexpr std::uint64_t kWorkUnits = 256;
constexpr std::uint64_t kUnitIterations = 800'000;
std::atomic<std::uint64_t> g_next_unit{0};
std::atomic<std::uint64_t> g_sink{0};
std::atomic<std::uint64_t> g_worker_cpus{0};  // CPUs 0..63 that ran a unit (a report)

void worker(void*) {
  for (;;) {
    const std::uint64_t unit = g_next_unit.fetch_add(1, std::memory_order_relaxed);
    if (unit >= kWorkUnits) return;
    const std::uint32_t cpu = arch::current_cpu_index();  // a snapshot, for the report
    if (cpu < 64) g_worker_cpus.fetch_or(1ull << cpu, std::memory_order_relaxed);
    std::uint64_t x = unit + 1;
    for (std::uint64_t i = 0; i < kUnitIterations; ++i) {
      x = x * 6364136223846793005ull + 1;
      // Keeps the loop a loop (the compiler may not fold the recurrence).
      asm volatile("" : "+r"(x));
    }
    g_sink.fetch_add(x, std::memory_order_relaxed);
  }
}

// Wall time of the whole workload with `threads` unpinned workers, or 0 on failure.
std::uint64_t run_parallel(std::uint32_t threads) {
  KThread* ts[kMaxWorkers] = {};
  g_next_unit.store(0);
  const std::uint64_t t0 = ktime::now_ns();
  bool ok = true;
  for (std::uint32_t i = 0; i < threads; ++i) {
    ThreadOptions o;
    o.name = "worker";
    auto t = create_thread(o, &worker, nullptr);
    if (!t) {
      ok = false;
      break;
    }
    ts[i] = t.value();
  }
  for (std::uint32_t i = 0; i < threads; ++i) {
    if (ts[i] != nullptr && !join(ts[i], kJoinNs)) return 0;  // a worker stuck: stop here
  }
  return ok ? ktime::now_ns() - t0 : 0;
}

// The thread counts measured: 1 (the base), 2, 4 and the CPU count when it is another number.
std::uint32_t parallel_counts(std::uint32_t cpus, std::uint32_t (&out)[4]) {
  std::uint32_t n = 0;
  out[n++] = 1;
  out[n++] = 2;
  out[n++] = 4;
  if (cpus != 1 && cpus != 2 && cpus != 4 && cpus <= kMaxWorkers) out[n++] = cpus;
  return n;
}

bool bench_parallel(std::uint32_t cpus) {
  std::uint32_t counts[4];
  const std::uint32_t kinds = parallel_counts(cpus, counts);
  std::uint64_t times[4][kParallelRuns] = {};
  std::uint64_t masks[4] = {};
  // One discarded run first (it pays for whatever the earlier benchmarks left behind), then the
  // thread counts interleaved round by round, so a slow stretch of the host or the emulator
  // lands on every count alike instead of on whichever was measured then.
  if (run_parallel(1) == 0) return false;
  for (std::uint32_t r = 0; r < kParallelRuns; ++r) {
    for (std::uint32_t k = 0; k < kinds; ++k) {
      g_worker_cpus.store(0);
      times[k][r] = run_parallel(counts[k]);
      if (times[k][r] == 0) return false;
      masks[k] |= g_worker_cpus.load();
    }
  }
  const std::uint64_t base = median(times[0], kParallelRuns);
  klog::raw("sched_bench: parallel work ({} units of {} iterations), 1 thread: {} ms "
            "(median of {} runs, interleaved with the other counts)\n",
            kWorkUnits, kUnitIterations, base / kMs, kParallelRuns);
  for (std::uint32_t k = 1; k < kinds; ++k) {
    const std::uint64_t t = median(times[k], kParallelRuns);
    const std::uint64_t hundredths = base * 100 / t;
    klog::raw("sched_bench: parallel work, {} threads on {} CPUs: {} ms, speed-up {}.{:02} "
              "(workers ran on CPU mask {:#x})\n",
              counts[k], cpus, t / kMs, hundredths / 100, hundredths % 100, masks[k]);
  }
  return true;
}

}  // namespace

bool run_bench() {
  const std::uint32_t cpus = online_cpu_count();
  klog::raw("sched_bench: {} CPUs in the scheduler, tick {} us; figures are medians\n", cpus,
            kTickNs / 1000);
  const std::uint32_t last = cpus - 1;
  bool ok = bench_context_switch(last);
  ok = ok && bench_latency("same CPU", last, last);
  if (ok && cpus > 1) ok = bench_latency("cross CPU", 0, last);
  if (ok && cpus == 1) klog::raw("sched_bench: wake-up latency cross CPU: one CPU, not measured\n");
  ok = ok && bench_parallel(cpus);
  klog::raw("sched_bench: {}\n", ok ? "done" : "FAILED (a thread did not finish in time)");
  return ok;
}

}  // namespace kthreads
