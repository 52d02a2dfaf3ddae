// In-kernel tests of the cross-CPU services on every online CPU: a synchronous call to every
// CPU, an IPI storm (every CPU sends to every other), IPI skipping, the reschedule IPI, and TLB
// shootdown correctness (remote readers never see the old page after the shootdown returns).
// With one CPU they check the local path.
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/mm.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "kernel/cpus/ipi/tlb_shootdown.h"
#include "kernel/ktest/expect_fault.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"

namespace {

constexpr std::uint32_t kMax = 64;  // CPUs the tests track (QEMU cases use up to 8)
constexpr std::uint64_t kWaitNs = 2'000'000'000;

std::uint32_t tracked() {
  const std::uint32_t n = platform::cpu_count();
  return n < kMax ? n : kMax;
}

std::atomic<std::uint32_t> g_ran_on[kMax];

void record_cpu(const smp::CallArgs& args) {
  const std::uint32_t self = arch::current_cpu_index();
  if (self < kMax) g_ran_on[self].store(self + 1 + static_cast<std::uint32_t>(args.a), std::memory_order_relaxed);
}

}  // namespace

KTEST(ipi_call_every_cpu_sync) {
  KCHECK(kcpus::call_service_ready());
  for (auto& r : g_ran_on) r.store(0);
  const smp::CpuSet online = kcpus::online_cpus();
  KCHECK(kcpus::call_on_cpus(online, record_cpu, {nullptr, 1000}, smp::CallMode::kSync));
  // Sync: every CPU has run it by now, each with its own number.
  for (std::uint32_t c = 0; c < tracked(); ++c) {
    const std::uint32_t want = kcpus::cpu_online(platform::CpuNumber{c}) ? c + 1 + 1000 : 0;
    KCHECK_EQ(g_ran_on[c].load(), want);
  }
  // All but self: the caller is left out.
  for (auto& r : g_ran_on) r.store(0);
  KCHECK(kcpus::call_on_all_but_self(record_cpu, {nullptr, 7}, smp::CallMode::kSync));
  KCHECK_EQ(g_ran_on[0].load(), 0u);
  for (std::uint32_t c = 1; c < tracked(); ++c) {
    const std::uint32_t want = kcpus::cpu_online(platform::CpuNumber{c}) ? c + 1 + 7 : 0;
    KCHECK_EQ(g_ran_on[c].load(), want);
  }
}

namespace {

constexpr std::uint32_t kStormRounds = 100;
// Queueing bound per request: a target vCPU descheduled by a loaded host may not drain its
// queue for a long time under TCG.
constexpr std::uint64_t kStormQueueNs = 10'000'000'000;
// g_storm[target][sender]: requests `sender` made that ran on `target`.
std::atomic<std::uint32_t> g_storm[kMax][kMax];
std::atomic<std::uint32_t> g_storm_send_failures{0};
std::atomic<std::uint32_t> g_storm_wrong_cpu{0};
// Per sender: rounds finished (kStormRounds + 1 once its storm_send returned), for the report.
std::atomic<std::uint32_t> g_storm_progress[kMax];

void storm_hit(const smp::CallArgs& args) {
  const std::uint32_t self = arch::current_cpu_index();
  if (self != args.b) g_storm_wrong_cpu.fetch_add(1, std::memory_order_relaxed);
  if (self < kMax && args.a < kMax) g_storm[self][args.a].fetch_add(1, std::memory_order_relaxed);
}

// Every sender, to every other online CPU, one at a time so `b` can name the target.
void storm_send() {
  const std::uint32_t self = arch::current_cpu_index();
  const smp::CpuSet online = kcpus::online_cpus();
  if (self < kMax) g_storm_progress[self].store(1, std::memory_order_relaxed);
  for (std::uint32_t r = 0; r < kStormRounds; ++r) {
    for (std::uint32_t t = online.next(0); t < smp::kMaxCpus; t = online.next(t + 1)) {
      if (t == self) continue;
      if (!kcpus::call_on_cpu(platform::CpuNumber{t}, storm_hit, {nullptr, self, t},
                            smp::CallMode::kAsync, kStormQueueNs)) {
        g_storm_send_failures.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (self < kMax) g_storm_progress[self].store(r + 2, std::memory_order_relaxed);
  }
}

// What every CPU was doing when the storm did not finish: its sender's progress, its queue, and
// the interrupts it took (a CPU that took none since the start never ran its handler).
void storm_report(std::uint32_t n, const std::uint64_t* ipis_before) {
  for (std::uint32_t c = 0; c < n; ++c) {
    const platform::CpuNumber cpu{c};
    if (!kcpus::cpu_online(cpu)) continue;
    const smp::CallQueueStats st = kcpus::call_queue_stats(cpu);
    std::uint32_t got = 0;
    for (std::uint32_t s = 0; s < n; ++s) got += g_storm[c][s].load(std::memory_order_relaxed);
    const arch::CpuLocal* local = kcpus::cpu_local(cpu);
    klog::error("storm: cpu {}: sender at {}/{} rounds, {} hits run here, {} pending, {} served, "
                "{} IPIs sent to it, {} taken since the start, {} timer ticks",
                c, g_storm_progress[c].load(std::memory_order_relaxed), kStormRounds + 1, got,
                kcpus::call_service()->pending(cpu), st.served, st.ipis_sent,
                arch::read_counter(local->ipis) - ipis_before[c],
                arch::read_counter(local->timer_ticks));
  }
}

void storm_worker(const smp::CallArgs&) { storm_send(); }

}  // namespace

KTEST(ipi_storm_every_cpu_to_every_cpu) {
  const std::uint32_t n = tracked();
  for (auto& row : g_storm)
    for (auto& c : row) c.store(0);
  g_storm_send_failures.store(0);
  g_storm_wrong_cpu.store(0);
  std::uint64_t ipis_before[kMax] = {};
  for (std::uint32_t c = 0; c < n; ++c) {
    g_storm_progress[c].store(0);
    ipis_before[c] = arch::read_counter(kcpus::cpu_local(platform::CpuNumber{c})->ipis);
  }
  std::uint64_t skipped_before = 0;
  for (std::uint32_t c = 0; c < n; ++c) skipped_before += kcpus::call_queue_stats(platform::CpuNumber{c}).ipis_skipped;
  // The APs send from their call service (interrupts off: they serve their own queues while a
  // full target queue makes them wait), the boot CPU from here.
  KCHECK(kcpus::call_on_all_but_self(storm_worker, {}, smp::CallMode::kAsync));
  storm_send();
  const smp::CpuSet online = kcpus::online_cpus();
  const std::uint32_t cpus = online.count();
  const std::uint64_t expected = std::uint64_t{cpus} * (cpus - 1) * kStormRounds;
  const std::uint64_t deadline = ktime::now_ns() + kStormQueueNs;
  std::uint64_t total = 0;
  for (;;) {
    total = 0;
    for (std::uint32_t t = 0; t < n; ++t)
      for (std::uint32_t s = 0; s < n; ++s) total += g_storm[t][s].load(std::memory_order_relaxed);
    if (total >= expected || ktime::now_ns() > deadline) break;
    kcpus::serve_call_queue();  // interrupts are off here: our share of the storm
    arch::pause();
  }
  if (total != expected || g_storm_send_failures.load() != 0) storm_report(n, ipis_before);
  KCHECK_EQ(g_storm_send_failures.load(), 0u);
  KCHECK_EQ(g_storm_wrong_cpu.load(), 0u);
  KCHECK_EQ(total, expected);
  for (std::uint32_t t = 0; t < n; ++t) {
    for (std::uint32_t s = 0; s < n; ++s) {
      const bool pair = t != s && online.contains(platform::CpuNumber{t}) &&
                        online.contains(platform::CpuNumber{s});
      KCHECK_EQ(g_storm[t][s].load(), pair ? kStormRounds : 0u);
    }
  }
  std::uint64_t skipped = 0;
  for (std::uint32_t c = 0; c < n; ++c) skipped += kcpus::call_queue_stats(platform::CpuNumber{c}).ipis_skipped;
  // Hundreds of requests into queues that are busy: most must have gone without an IPI.
  if (cpus > 1) KCHECK(skipped > skipped_before);
}

namespace {
std::atomic<bool> g_gate{false};
std::atomic<bool> g_at_gate{false};
void wait_at_gate(const smp::CallArgs&) {
  g_at_gate.store(true, std::memory_order_release);
  const std::uint64_t deadline = ktime::now_ns() + kWaitNs;
  while (!g_gate.load(std::memory_order_acquire) && ktime::now_ns() < deadline) arch::pause();
}
}  // namespace

KTEST(ipi_not_sent_when_request_pending) {
  if (kcpus::online_cpu_count() < 2) KSKIP("needs two CPUs");
  const platform::CpuNumber target{kcpus::online_cpus().next(1)};
  g_gate.store(false);
  g_at_gate.store(false);
  // The target sits in the first request with interrupts off; the next ones queue up behind it.
  KCHECK(kcpus::call_on_cpu(target, wait_at_gate, {}, smp::CallMode::kAsync));
  const std::uint64_t deadline = ktime::now_ns() + kWaitNs;
  while (!g_at_gate.load(std::memory_order_acquire) && ktime::now_ns() < deadline) arch::pause();
  KCHECK(g_at_gate.load());
  const smp::CallQueueStats before = kcpus::call_queue_stats(target);
  for (auto& r : g_ran_on) r.store(0);
  KCHECK(kcpus::call_on_cpu(target, record_cpu, {nullptr, 0}, smp::CallMode::kAsync));
  KCHECK(kcpus::call_on_cpu(target, record_cpu, {nullptr, 0}, smp::CallMode::kAsync));
  const smp::CallQueueStats queued = kcpus::call_queue_stats(target);
  // The first of the two found the queue empty (IPI), the second found it busy (none).
  KCHECK_EQ(queued.ipis_sent - before.ipis_sent, 1u);
  KCHECK_EQ(queued.ipis_skipped - before.ipis_skipped, 1u);
  g_gate.store(true, std::memory_order_release);
  KCHECK(kcpus::call_on_cpu(target, record_cpu, {nullptr, 0}, smp::CallMode::kSync));
  KCHECK_EQ(g_ran_on[platform::to_index(target)].load(), platform::to_index(target) + 1);
}

KTEST(ipi_reschedule_reaches_target_once_when_pending) {
  if (kcpus::online_cpu_count() < 2) KSKIP("needs two CPUs");
  const platform::CpuNumber target{kcpus::online_cpus().next(1)};
  const std::uint64_t before = kcpus::reschedule_ipis_taken(target);
  kcpus::send_reschedule(target);
  const std::uint64_t deadline = ktime::now_ns() + kWaitNs;
  while (kcpus::reschedule_ipis_taken(target) == before && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(kcpus::reschedule_ipis_taken(target) - before, 1u);
  // Held in its call service with interrupts off, the target cannot take the IPI: a second
  // request while the first is pending sends nothing.
  g_gate.store(false);
  g_at_gate.store(false);
  KCHECK(kcpus::call_on_cpu(target, wait_at_gate, {}, smp::CallMode::kAsync));
  while (!g_at_gate.load(std::memory_order_acquire) && ktime::now_ns() < deadline) arch::pause();
  KCHECK(g_at_gate.load());
  const std::uint64_t skipped = kcpus::reschedule_ipis_skipped(target);
  kcpus::send_reschedule(target);
  kcpus::send_reschedule(target);
  KCHECK_EQ(kcpus::reschedule_ipis_skipped(target) - skipped, 1u);
  g_gate.store(true, std::memory_order_release);
  while (kcpus::reschedule_ipis_taken(target) < before + 2 && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(kcpus::reschedule_ipis_taken(target) - before, 2u);
}

namespace {

constexpr std::uint64_t kOld = 0x01d0'01d0'01d0'01d0;
constexpr std::uint64_t kNew = 0x0e30'0e30'0e30'0e30;

struct ShootdownTest {
  std::uint64_t virt;
  std::atomic<std::uint32_t> phase{0};   // 0 old mapped, 1 unmapped, 2 new mapped, 3 stop
  std::atomic<std::uint32_t> readers{0};
  std::atomic<std::uint32_t> started{0};
  std::atomic<std::uint32_t> stale{0};        // read the old page after the shootdown
  std::atomic<std::uint32_t> faults_in_2{0};  // faulted although the new page was mapped
  std::atomic<std::uint32_t> reads_in_1{0};   // phase 1 reads (all must fault)
  std::atomic<std::uint32_t> done{0};
};
ShootdownTest g_sd;

void shootdown_reader(const smp::CallArgs&) {
  g_sd.started.fetch_add(1);
  const std::uint64_t deadline = ktime::now_ns() + 3 * kWaitNs;
  auto* p = reinterpret_cast<volatile std::uint64_t*>(g_sd.virt);
  while (ktime::now_ns() < deadline) {
    // Phase first, then the read: a read made after seeing phase N happened after the
    // shootdown that preceded phase N returned (acquire pairs with the writer's release).
    const std::uint32_t phase = g_sd.phase.load(std::memory_order_acquire);
    if (phase == 3) break;
    std::uint64_t value = 0;
    const ktest::FaultRecord f =
        ktest::expect_fault(arch::Vector::kPageFault, [&] { value = *p; });
    if (phase >= 1 && !f.faulted && value == kOld) g_sd.stale.fetch_add(1);
    if (phase == 1) g_sd.reads_in_1.fetch_add(1);
    if (phase == 2 && f.faulted) g_sd.faults_in_2.fetch_add(1);
    // This loop runs with interrupts off: it must serve its queue, or the shootdown it waits
    // for could never run here (STYLE.md rule 10).
    kcpus::serve_call_queue();
  }
  g_sd.done.fetch_add(1, std::memory_order_release);
}

void wait_reads(std::uint32_t phase_reads_min, std::uint64_t deadline) {
  while (g_sd.reads_in_1.load() < phase_reads_min && ktime::now_ns() < deadline) arch::pause();
}

}  // namespace

KTEST(ipi_tlb_shootdown_remote_readers_never_see_old_page) {
  auto old_frame = mm::alloc_frames(1);
  auto new_frame = mm::alloc_frames(1);
  KCHECK(old_frame.ok() && new_frame.ok());
  for (std::uint32_t i = 0; i < 512; ++i) {
    mm::phys_to<std::uint64_t>(old_frame.value())[i] = kOld;
    mm::phys_to<std::uint64_t>(new_frame.value())[i] = kNew;
  }
  // The MMIO window's second-to-last 2 MiB (mm_ktest uses the last): never reached by map_mmio.
  g_sd.virt = mm::kMmioWindowBase + mm::kMmioWindowSize - 0x400000;
  g_sd.phase.store(0);
  g_sd.stale.store(0);
  g_sd.faults_in_2.store(0);
  g_sd.reads_in_1.store(0);
  g_sd.started.store(0);
  g_sd.done.store(0);
  KCHECK(mm::kernel_map(g_sd.virt, old_frame.value(), 4096, paging::kKernelData).ok());
  const std::uint32_t others = kcpus::online_cpu_count() - 1;
  // The first AP's counters (CPU 0's when there is none: then nothing is compared).
  const platform::CpuNumber first_ap{others > 0 ? kcpus::online_cpus().next(1) : 0};
  const smp::ShootdownStats before = kcpus::shootdown_stats(first_ap);
  KCHECK(kcpus::call_on_all_but_self(shootdown_reader, {}, smp::CallMode::kAsync));
  std::uint64_t deadline = ktime::now_ns() + kWaitNs;
  while (g_sd.started.load() < others && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(g_sd.started.load(), others);
  // Let the readers cache the old translation.
  ktime::delay_ns(20'000'000);
  KCHECK(mm::kernel_unmap(g_sd.virt, 4096).ok());  // shoots it down before returning
  g_sd.phase.store(1, std::memory_order_release);
  wait_reads(others * 50, ktime::now_ns() + kWaitNs);
  KCHECK(mm::kernel_map(g_sd.virt, new_frame.value(), 4096, paging::kKernelData).ok());
  g_sd.phase.store(2, std::memory_order_release);
  ktime::delay_ns(20'000'000);
  g_sd.phase.store(3, std::memory_order_release);
  deadline = ktime::now_ns() + 4 * kWaitNs;
  while (g_sd.done.load(std::memory_order_acquire) < others && ktime::now_ns() < deadline) arch::pause();
  KCHECK_EQ(g_sd.done.load(), others);
  KCHECK_EQ(g_sd.stale.load(), 0u);
  KCHECK_EQ(g_sd.faults_in_2.load(), 0u);
  if (others > 0) {
    KCHECK(g_sd.reads_in_1.load() >= others * 50);
    const smp::ShootdownStats after = kcpus::shootdown_stats(first_ap);
    KCHECK(after.page_flushes > before.page_flushes);
  }
  KCHECK(mm::kernel_unmap(g_sd.virt, 4096).ok());
  KCHECK(mm::free_frames(old_frame.value(), 1).ok());
  KCHECK(mm::free_frames(new_frame.value(), 1).ok());
}

KTEST(ipi_tlb_shootdown_large_range_flushes_everything) {
  if (kcpus::online_cpu_count() < 2) KSKIP("needs two CPUs");
  const platform::CpuNumber target{kcpus::online_cpus().next(1)};
  const smp::ShootdownStats before = kcpus::shootdown_stats(target);
  smp::TlbCpuSet space;
  space.add(target);
  // One request, above the threshold: the target drops its whole TLB once.
  KCHECK(kcpus::tlb_shootdown(space, smp::FlushRange{0xffff'c000'0000'0000ull,
                                                   (smp::kFullFlushPages + 1) * 4096, false}));
  const smp::ShootdownStats after = kcpus::shootdown_stats(target);
  KCHECK_EQ(after.full_flushes - before.full_flushes, 1u);
  KCHECK_EQ(after.page_flushes, before.page_flushes);
}

KTEST(ipi_tlb_shootdown_flushes_the_callers_cpu) {
  // The caller does not flush first (kernel_space.cc): the shootdown flushes its CPU when that
  // CPU is in the space, decided with preemption off (issue 10). Preemption off here too, so
  // "the caller's CPU" is the one whose counters are read.
  platform::preempt_disable();
  const platform::CpuNumber self = platform::current_cpu();
  const smp::ShootdownStats before = kcpus::shootdown_stats(self);
  smp::TlbCpuSet space;
  space.add(self);
  const smp::FlushRange page{0xffff'c000'0000'0000ull, 4096, false};
  const bool ok = kcpus::tlb_shootdown(space, page);
  const smp::ShootdownStats after = kcpus::shootdown_stats(self);
  // Not in the space: nothing flushed here.
  smp::TlbCpuSet others;
  const bool ok_empty = kcpus::tlb_shootdown(others, page);
  const smp::ShootdownStats unchanged = kcpus::shootdown_stats(self);
  platform::preempt_enable();
  KCHECK(ok);
  KCHECK(ok_empty);
  KCHECK_EQ(after.page_flushes - before.page_flushes, 1u);
  KCHECK_EQ(unchanged.page_flushes, after.page_flushes);
}
