// In-kernel tests of the TSC clock and the LAPIC timer. Timing checks are deliberately loose
// (emulators and shared hosts stretch time); they catch wrong units and dead timers. The tests
// that count exact timer interrupts own this CPU's timer for their duration (OwnTimer): the
// periodic tick (the scheduler's, on by default) is stopped, and restored afterwards.
#include <atomic>

#include "kernel/firmware/acpi_report.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/run_on_cpu.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"
#include "kernel/time/lapic_timer.h"
#include "kernel/time/tsc_calibration.h"
#include "smp/platform/platform.h"

namespace {

// Called with interrupts off: enables them until done() or `timeout_ns` passed, then turns
// them off again; returns done().
template <typename Done>
bool wait_with_interrupts(Done done, std::uint64_t timeout_ns) {
  const std::uint64_t start = ktime::now_ns();
  arch::sti();
  while (!done() && ktime::now_ns() - start < timeout_ns) arch::pause();
  arch::cli();
  return done();
}

constexpr std::uint64_t kMs = 1'000'000;

// This CPU's timer for one test: interrupts off (so the test stays on this CPU and its counts
// are read consistently), the periodic tick stopped, and a tick it had already requested taken
// (drained) so that every timer interrupt counted from here on is the test's own. Restores the
// tick and the caller's interrupt state on destruction, also when a KCHECK returns early.
class OwnTimer {
 public:
  OwnTimer() : irq_(platform::irq_save_disable()) {
    ktime::claim_timer();
    drained_ = wait_with_interrupts([] { return !ktime::tick_pending(); }, 100 * kMs);
  }
  ~OwnTimer() {
    ktime::release_timer();
    platform::irq_restore(irq_);
  }
  OwnTimer(const OwnTimer&) = delete;
  OwnTimer& operator=(const OwnTimer&) = delete;
  // False: a stale tick stayed pending with interrupts on for 100 ms (a broken APIC).
  bool drained() const { return drained_; }

 private:
  platform::IrqState irq_;
  bool drained_ = false;
};

}  // namespace

KTEST(tsc_rate_sane_with_source) {
  KCHECK(ktime::tsc_hz() >= ktime::kMinTscHz);
  KCHECK(ktime::tsc_hz() <= ktime::kMaxTscHz);
  KCHECK(ktime::tsc_source() != ktime::TscSource::kNone);
}

KTEST(now_ns_monotonic) {
  std::uint64_t last = ktime::now_ns();
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t now = ktime::now_ns();
    KCHECK(now >= last);
    last = now;
  }
}

namespace {
std::uint64_t g_remote_now;  // static: a timed-out call may still run later (run_on_cpu.h)
void read_now_ns(void* out) { *static_cast<std::uint64_t*>(out) = ktime::now_ns(); }
}  // namespace

// now_ns() is monotonic across CPUs (the bring-up TSC check, or the clamp when it failed): a
// value read on another CPU after ours is not smaller, and ours read after it is not either.
KTEST(now_ns_monotonic_across_cpus) {
  for (std::uint32_t i = 0; i < platform::cpu_count(); ++i) {
    if (!kcpus::cpu_online(platform::CpuNumber{i})) continue;
    const std::uint64_t before = ktime::now_ns();
    KCHECK(kcpus::run_on_cpu(platform::CpuNumber{i}, read_now_ns, &g_remote_now, 500 * kMs));
    const std::uint64_t remote = __atomic_load_n(&g_remote_now, __ATOMIC_ACQUIRE);
    const std::uint64_t after = ktime::now_ns();
    KCHECK(remote >= before);
    KCHECK(after >= remote);
  }
}

KTEST(delay_us_1000_takes_at_least_1ms) {
  const std::uint64_t t0 = arch::rdtsc();
  const std::uint64_t n0 = ktime::now_ns();
  ktime::delay_us(1000);
  const std::uint64_t cycles = arch::rdtsc() - t0;
  KCHECK(cycles >= ktime::tsc_hz() / 1000);
  KCHECK(ktime::now_ns() - n0 >= kMs);
  KCHECK(ktime::now_ns() - n0 < 1000 * kMs);  // and not absurdly long
}

KTEST(reference_clock_found) {
  const auto& t = kfirmware::machine_tables();
  if (!t.hpet_present && !t.pm_timer_present) KSKIP("no HPET and no PM timer (e.g. -no-hpet on pc)");
  KCHECK(t.hpet_present ? t.hpet_base != 0 : t.pm_timer_port != 0);
}

KTEST(lapic_timer_calibrated) {
  KCHECK(ktime::lapic_timer_hz() >= 1'000'000);
  KCHECK(ktime::lapic_timer_hz() <= 10'000'000'000);
}

KTEST(lapic_timer_one_shot_fires_each_time) {
  const OwnTimer own;
  KCHECK(own.drained());
  constexpr int kShots = 5;
  constexpr std::uint64_t kDelay = 2 * kMs;
  const std::uint64_t start = ktime::now_ns();
  for (int i = 0; i < kShots; ++i) {
    const std::uint64_t before = ktime::timer_ticks();
    const std::uint64_t armed = ktime::now_ns();
    KCHECK(ktime::timer_one_shot(kDelay));
    KCHECK(wait_with_interrupts([&] { return ktime::timer_ticks() != before; }, 500 * kMs));
    KCHECK_EQ(ktime::timer_ticks(), before + 1);  // one-shot: exactly one
    KCHECK(ktime::now_ns() - armed >= kDelay / 2);  // not early by more than half
  }
  ktime::timer_stop();
  KCHECK(ktime::now_ns() - start >= kShots * kDelay / 2);
}

KTEST(lapic_timer_periodic_rate) {
  const OwnTimer own;
  KCHECK(own.drained());
  constexpr std::uint64_t kPeriod = 2 * kMs;
  constexpr std::uint64_t kWindow = 200 * kMs;
  const std::uint64_t before = ktime::timer_ticks();
  const std::uint64_t start = ktime::now_ns();
  KCHECK(ktime::timer_periodic(kPeriod));
  (void)wait_with_interrupts([] { return false; }, kWindow);
  ktime::timer_stop();
  const std::uint64_t elapsed = ktime::now_ns() - start;
  const std::uint64_t ticks = ktime::timer_ticks() - before;
  const std::uint64_t expected = elapsed / kPeriod;
  klog::info("lapic timer periodic: {} ticks of {} us in {} us (expected {})", ticks,
             kPeriod / 1000, elapsed / 1000, expected);
  // Periodic, not one-shot: it fired more than once. The lower bound is loose on purpose: a tick
  // that is delivered late merges with the next one (one IRR bit), and an emulator on a loaded
  // host (QEMU TCG with its vCPU or timer thread starved) delivers late by tens of ms: a
  // clean-clone run at load 13 saw 2 ticks in 262 ms. A one-shot fires exactly once. The upper
  // bound is tight enough to catch a wrong rate (a factor of 2), which late delivery cannot cause.
  KCHECK(ticks >= 2);
  KCHECK(ticks <= expected * 2 + 2);
  // Stopped: no more ticks. A tick the LAPIC had already latched (its IRR bit set) before the
  // stop is still delivered once interrupts are on: let it land first (a clean-clone run under
  // load counted it: 1358 against 1357).
  (void)wait_with_interrupts([] { return false; }, 2 * kPeriod);
  const std::uint64_t after = ktime::timer_ticks();
  (void)wait_with_interrupts([] { return false; }, 20 * kMs);
  KCHECK_EQ(ktime::timer_ticks(), after);
}

KTEST(lapic_timer_tsc_deadline) {
  if (!ktime::tsc_deadline_supported()) KSKIP("no TSC-deadline mode (CPUID.1:ECX[24])");
  const OwnTimer own;
  KCHECK(own.drained());
  const std::uint64_t before = ktime::timer_ticks();
  const std::uint64_t t0 = arch::rdtsc();
  const std::uint64_t cycles = ktime::tsc_hz() / 1000;  // 1 ms
  KCHECK(ktime::timer_deadline(t0 + cycles));
  KCHECK(wait_with_interrupts([&] { return ktime::timer_ticks() != before; }, 500 * kMs));
  const std::uint64_t fired = arch::rdtsc();
  ktime::timer_stop();
  KCHECK_EQ(ktime::timer_ticks(), before + 1);
  KCHECK(fired - t0 >= cycles);  // a deadline never fires early
}

// ---- Tick hooks and the shared periodic tick ---------------------------------------------------

namespace {

std::atomic<std::uint32_t> g_hook_cpu{0};
std::atomic<std::uint32_t> g_hook_calls[2];

// Count only the test CPU's ticks: the hooks run on every CPU's timer interrupt.
template <int N>
void counting_hook() {
  if (arch::current_cpu_index() == g_hook_cpu.load(std::memory_order_relaxed)) {
    g_hook_calls[N].fetch_add(1, std::memory_order_relaxed);
  }
}

// Distinct functions (distinct bodies, so no identical-code folding) to fill the registry.
std::atomic<std::uint32_t> g_filler_calls[ktime::kMaxTickHooks];
template <int N>
void filler_hook() {
  g_filler_calls[N].fetch_add(1, std::memory_order_relaxed);
}
constexpr ktime::TickHook kFillers[ktime::kMaxTickHooks] = {&filler_hook<0>, &filler_hook<1>,
                                                            &filler_hook<2>, &filler_hook<3>};
static_assert(ktime::kMaxTickHooks == 4, "one filler per slot");

}  // namespace

KTEST(lapic_tick_hooks_every_registered_hook_runs) {
  const OwnTimer own;
  KCHECK(own.drained());
  g_hook_cpu.store(arch::current_cpu_index());
  for (auto& c : g_hook_calls) c.store(0);
  KCHECK(ktime::add_tick_hook(&counting_hook<0>));
  KCHECK(ktime::add_tick_hook(&counting_hook<1>));
  KCHECK(ktime::add_tick_hook(&counting_hook<1>));  // again: still one slot, one call per tick
  const std::uint64_t before = ktime::timer_ticks();
  KCHECK(ktime::timer_one_shot(1 * kMs));
  const bool fired = wait_with_interrupts([&] { return ktime::timer_ticks() != before; }, 500 * kMs);
  ktime::remove_tick_hook(&counting_hook<0>);
  ktime::remove_tick_hook(&counting_hook<1>);
  KCHECK(fired);
  KCHECK_EQ(ktime::timer_ticks(), before + 1);
  KCHECK_EQ(g_hook_calls[0].load(), 1u);  // both ran, once each, on the one tick
  KCHECK_EQ(g_hook_calls[1].load(), 1u);
  // Removed: another tick runs neither.
  KCHECK(ktime::timer_one_shot(1 * kMs));
  KCHECK(wait_with_interrupts([&] { return ktime::timer_ticks() == before + 2; }, 500 * kMs));
  KCHECK_EQ(g_hook_calls[0].load(), 1u);
  KCHECK_EQ(g_hook_calls[1].load(), 1u);
}

KTEST(lapic_tick_hooks_registry_is_bounded) {
  // The scheduler and the watchdog may hold slots: fill the rest, the next add must fail.
  std::uint32_t added = 0;
  for (const ktime::TickHook hook : kFillers) {
    if (!ktime::add_tick_hook(hook)) break;
    ++added;
  }
  const bool full_refused = !ktime::add_tick_hook(&counting_hook<0>);
  for (const ktime::TickHook hook : kFillers) ktime::remove_tick_hook(hook);
  KCHECK(added >= 1);
  KCHECK(added <= ktime::kMaxTickHooks);
  KCHECK(full_refused);
  // Every filler slot is free again.
  KCHECK(ktime::add_tick_hook(&counting_hook<0>));
  ktime::remove_tick_hook(&counting_hook<0>);
}

KTEST(lapic_tick_runs_at_the_shortest_period_asked_for) {
  // Borrows the watchdog's record on this CPU (the boot CPU: the watchdog asks for a tick there
  // only inside its own stall test) and gives it back.
  const platform::IrqState irq = platform::irq_save_disable();
  const std::uint64_t base = ktime::tick_period_ns();  // the scheduler's, or 0 with nosched
  const std::uint64_t longer = base == 0 ? 4 * kMs : base * 4;
  KCHECK(ktime::tick_start(ktime::TickUser::kWatchdog, longer));
  const std::uint64_t with_longer = ktime::tick_period_ns();
  KCHECK(ktime::tick_start(ktime::TickUser::kWatchdog, longer / 8));
  const std::uint64_t with_shorter = ktime::tick_period_ns();
  ktime::tick_stop(ktime::TickUser::kWatchdog);
  const std::uint64_t after = ktime::tick_period_ns();
  platform::irq_restore(irq);
  KCHECK_EQ(with_longer, base == 0 ? longer : base);
  KCHECK_EQ(with_shorter, longer / 8);
  KCHECK_EQ(after, base);
}

KTEST(lapic_tick_restored_after_a_claim) {
  const platform::IrqState irq = platform::irq_save_disable();
  const std::uint64_t period = ktime::tick_period_ns();
  bool released = false;
  bool ticking = false;
  if (period != 0) {
    { const OwnTimer own; }  // claim and release
    released = !ktime::timer_claimed() && ktime::tick_period_ns() == period;
    // The tick runs again: a few ticks arrive (bounded wait; no rate is checked).
    const std::uint64_t before = ktime::timer_ticks();
    ticking = wait_with_interrupts([&] { return ktime::timer_ticks() >= before + 3; }, 2'000 * kMs);
  }
  platform::irq_restore(irq);
  if (period == 0) KSKIP("no periodic tick on this CPU (booted with nosched)");
  KCHECK(released);
  KCHECK(ticking);
}
