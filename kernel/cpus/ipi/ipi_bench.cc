#include "kernel/cpus/ipi/ipi_bench.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/raw.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/ipi/tlb_shootdown.h"
#include "kernel/time/clock.h"

namespace kbench {
namespace {

constexpr std::uint32_t kWarmup = 20;
constexpr std::uint32_t kRounds = 200;
constexpr std::uint32_t kMaxRounds = 256;

void nothing(const smp::CallArgs&) {}

// Median and minimum of `rounds` timings (ns) of `op`; false when an op failed.
struct Timing {
  std::uint64_t median = 0;
  std::uint64_t min = 0;
  bool ok = true;
};

template <typename Op>
Timing measure(Op op) {
  static std::uint64_t samples[kMaxRounds];
  Timing t;
  for (std::uint32_t i = 0; i < kWarmup; ++i) t.ok = op() && t.ok;
  for (std::uint32_t i = 0; i < kRounds; ++i) {
    const std::uint64_t start = ktime::now_ns();
    t.ok = op() && t.ok;
    samples[i] = ktime::now_ns() - start;
  }
  // Insertion sort: 200 samples, once per row.
  for (std::uint32_t i = 1; i < kRounds; ++i) {
    const std::uint64_t v = samples[i];
    std::uint32_t j = i;
    for (; j > 0 && samples[j - 1] > v; --j) samples[j] = samples[j - 1];
    samples[j] = v;
  }
  t.median = samples[kRounds / 2];
  t.min = samples[0];
  return t;
}

}  // namespace

bool run() {
  const smp::CpuSet online = kcpus::online_cpus();
  const platform::CpuNumber self = platform::current_cpu();
  // A page-aligned kernel address nobody maps: invlpg of an unmapped address is legal and
  // costs what a real one does.
  constexpr std::uint64_t kFlushVirt = 0xffff'c000'0000'0000ull;
  bool ok = true;
  klog::raw("bench: ipi latencies, {} rounds each (median / min ns), {} CPUs online\n", kRounds,
            online.count());
  klog::raw("bench: targets  call-1-sync  call-set-sync  call-set-async  shootdown-1p  "
            "shootdown-64p\n");
  smp::CpuSet set;
  std::uint32_t targets = 0;
  for (std::uint32_t c = online.next(0); c < smp::kMaxCpus; c = online.next(c + 1)) {
    if (platform::CpuNumber{c} == self) continue;
    set.add(platform::CpuNumber{c});
    ++targets;
    const platform::CpuNumber first{set.next(0)};
    const Timing one = measure([&] {
      return kcpus::call_on_cpu(first, nothing, {}, smp::CallMode::kSync);
    });
    const Timing all = measure([&] {
      return kcpus::call_on_cpus(set, nothing, {}, smp::CallMode::kSync);
    });
    // Async: queue to the set, then one sync round so the queues do not fill up.
    const Timing async = measure([&] {
      return kcpus::call_on_cpus(set, nothing, {}, smp::CallMode::kAsync);
    });
    (void)kcpus::call_on_cpus(set, nothing, {}, smp::CallMode::kSync);
    smp::TlbCpuSet space;
    for (std::uint32_t t = set.next(0); t < smp::kMaxCpus; t = set.next(t + 1)) {
      space.add(platform::CpuNumber{t});
    }
    const Timing page = measure([&] {
      return kcpus::tlb_shootdown(space, smp::FlushRange{kFlushVirt, 4096, false});
    });
    const Timing range = measure([&] {
      return kcpus::tlb_shootdown(space, smp::FlushRange{kFlushVirt, 64 * 4096, false});
    });
    ok = ok && one.ok && all.ok && async.ok && page.ok && range.ok;
    klog::raw("bench: {:>7}  {:>6} / {:<5} {:>7} / {:<6} {:>7} / {:<6} {:>6} / {:<5} {:>6} / {:<5}\n",
              targets, one.median, one.min, all.median, all.min, async.median, async.min,
              page.median, page.min, range.median, range.min);
  }
  if (targets == 0) klog::raw("bench: one CPU online: no cross-CPU figures\n");
  klog::raw("bench: {}\n", ok ? "done" : "FAILED (a call timed out)");
  return ok;
}

}  // namespace kbench
