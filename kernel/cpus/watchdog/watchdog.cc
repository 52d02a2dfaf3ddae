#include "kernel/cpus/watchdog/watchdog.h"

#include <atomic>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/per_cpu.h"
#include "kernel/time/clock.h"
#include "kernel/time/lapic_timer.h"
#include "smp/locks/cpu_lock_state.h"
#include "smp/locks/lock_class.h"
#include "smp/locks/spin_wait.h"

namespace watchdog {
namespace {

// What the checkers last saw of one CPU. Several CPUs check the same target; they all write
// the same kind of values, so relaxed atomics are enough (a diagnostic, not synchronisation).
struct Heartbeat {
  std::atomic<bool> watched{false};
  std::atomic<std::uint64_t> seen_ticks{0};
  std::atomic<std::uint64_t> seen_at_ns{0};  // when seen_ticks last changed
  std::atomic<bool> reported{false};         // this stall was reported
};

kcpus::PerCpu<Heartbeat> g_beats;
std::atomic<bool> g_running{false};
std::atomic<std::uint64_t> g_reports{0};
std::atomic<std::uint32_t> g_last_stalled{platform::kNoCpu};

void report(std::uint32_t cpu, std::uint64_t stalled_ns) {
  klog::error("watchdog: cpu {} has had interrupts off for {} ms (no timer tick; bound {} ms)",
              cpu, stalled_ns / 1'000'000, kStallBoundNs / 1'000'000);
  // The held stack belongs to the stalled CPU and may change under us: a best-effort snapshot
  // (it is stalled, so it rarely does).
  const smp::CpuLockState& ls = kcpus::cpu_local(platform::CpuNumber{cpu})->lock_state;
  const std::uint32_t held = __atomic_load_n(&ls.held_count, __ATOMIC_RELAXED);
  if (held == 0) klog::error("watchdog:   cpu {} holds no lock lockdep knows of", cpu);
  for (std::uint32_t i = 0; i < held && i < smp::CpuLockState::kMaxHeld; ++i) {
    const smp::HeldLock& h = ls.held[i];
    klog::error("watchdog:   cpu {} holds {} ({:p}) taken at {}:{}", cpu,
                h.cls ? h.cls->name() : "?", h.lock, h.site.file ? h.site.file : "?", h.site.line);
  }
  g_last_stalled.store(cpu, std::memory_order_relaxed);
  g_reports.fetch_add(1, std::memory_order_release);
}

void arm_tick(const smp::CallArgs&) {
  // Shared with the scheduler's tick on this CPU: the timer runs at the shorter of the two.
  if (!ktime::tick_start(ktime::TickUser::kWatchdog, kTickPeriodNs)) {
    klog::error("watchdog: cpu {}: periodic timer not armed", arch::current_cpu_index());
    return;
  }
  Heartbeat& b = g_beats.get();
  b.seen_ticks.store(arch::read_counter(arch::current_cpu_local()->timer_ticks),
                     std::memory_order_relaxed);
  b.seen_at_ns.store(ktime::now_ns(), std::memory_order_relaxed);
  b.reported.store(false, std::memory_order_relaxed);
  b.watched.store(true, std::memory_order_release);
}

}  // namespace

bool start() {
  // The lock half: spins past the bound are reported by the lock library.
  smp::set_spin_limit(platform::cycles_per_second() * (kStallBoundNs / 1'000'000) / 1000);
  // Tickless idle CPUs still wake this often to check the others, so a stall is reported
  // within kStallBoundNs + kIdleCheckNs even when every other CPU is idle.
  ktime::set_max_idle_sleep_ns(kIdleCheckNs);
  if (!ktime::add_tick_hook(on_tick)) {
    klog::error("watchdog: no free tick hook slot ({} taken); not started", ktime::kMaxTickHooks);
    return false;
  }
  smp::CpuSet aps = kcpus::online_cpus();
  aps.remove(platform::CpuNumber{0});
  const bool ok = kcpus::call_on_cpus(aps, arm_tick, {}, smp::CallMode::kSync);
  std::uint32_t armed = 0;
  for (std::uint32_t c = aps.next(0); c < smp::kMaxCpus; c = aps.next(c + 1)) {
    if (g_beats.on(platform::CpuNumber{c}).watched.load(std::memory_order_acquire)) ++armed;
  }
  g_running.store(true, std::memory_order_release);
  klog::info("watchdog: {} of {} APs watched; stall bound {} ms, tick {} ms", armed, aps.count(),
             kStallBoundNs / 1'000'000, kTickPeriodNs / 1'000'000);
  return ok && armed == aps.count();
}

bool running() { return g_running.load(std::memory_order_acquire); }

void on_tick() {
  const std::uint64_t now = ktime::now_ns();
  const std::uint32_t self = arch::current_cpu_index();
  const std::uint32_t n = platform::cpu_count();
  for (std::uint32_t c = 0; c < n; ++c) {
    const platform::CpuNumber cpu{c};
    Heartbeat& b = g_beats.on(cpu);
    if (!b.watched.load(std::memory_order_acquire)) continue;
    const std::uint64_t ticks = arch::read_counter(kcpus::cpu_local(cpu)->timer_ticks);
    // A CPU halted in tickless idle takes no tick by design until its one-shot is due: alive
    // until then. Once it leaves idle its tick restarts (before it runs anything), and the bound
    // counts from here. Past that moment without a tick it is stuck (in the handler of the
    // interrupt that ended the halt, say), and the bound counts from the last look.
    if (c == self || ticks != b.seen_ticks.load(std::memory_order_relaxed) ||
        now < ktime::tick_idle_quiet_until(c)) {
      b.seen_ticks.store(ticks, std::memory_order_relaxed);
      b.seen_at_ns.store(now, std::memory_order_relaxed);
      b.reported.store(false, std::memory_order_relaxed);
      continue;
    }
    const std::uint64_t since = b.seen_at_ns.load(std::memory_order_relaxed);
    if (now > since && now - since > kStallBoundNs &&
        !b.reported.exchange(true, std::memory_order_relaxed)) {
      report(c, now - since);
    }
  }
}

void watch_this_cpu() {
  arm_tick({});
}

void unwatch_this_cpu() {
  g_beats.get().watched.store(false, std::memory_order_release);
  ktime::tick_stop(ktime::TickUser::kWatchdog);  // the scheduler's tick, if any, runs on
}

std::uint64_t stalls_reported() { return g_reports.load(std::memory_order_acquire); }
std::uint32_t last_stalled_cpu() { return g_last_stalled.load(std::memory_order_relaxed); }

}  // namespace watchdog
