#include "kernel/time/lapic_timer.h"

#include <atomic>

#include "kernel/interrupts/dispatch.h"
#include "kernel/arch/x86_64/apic/lapic_registers.h"
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/time/clock.h"
#include "kernel/time/muldiv.h"
#include "smp/cpu_set.h"

namespace ktime {
namespace {

constexpr std::uint32_t kCpuid1EcxTscDeadline = 1u << 24;
constexpr std::uint32_t kCpuid6EaxArat = 1u << 2;
constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
// Calibration: the timer counts down from the largest count for 10 ms of TSC time; two runs
// must agree within 1% (the timer's input clock is fixed, so only interference differs: an SMI
// on hardware, or a virtual CPU the host descheduled in the middle of a run). Any two of up to
// kCalibrationRuns runs may agree; failing that, an AP takes the boot CPU's rate.
constexpr std::uint64_t kCalibrationNs = 10'000'000;
constexpr std::uint32_t kCalibrationRuns = 12;
// An AP's check of the boot CPU's rate (begin/finish_boot_rate_check): the shortest run.
constexpr std::uint64_t kRateCheckNs = 1'000'000;
constexpr std::uint64_t kAgreementDivisor = 100;
// The longest an idle CPU sleeps without its tick (one-shot), even with no timer queued, unless
// set_max_idle_sleep_ns changes it: a wake-up lost to a firmware or hypervisor bug then costs at
// most this, and the CPU still rechecks its queues once a second (under 10 wake-ups per
// second, the tickless goal).
constexpr std::uint64_t kDefaultMaxIdleSleepNs = 1'000'000'000;
constexpr std::uint32_t kMaxCount = 0xFFFF'FFFF;
// Timer input clocks run from a few MHz (old buses) to a few GHz; outside that the measurement
// is wrong, not the hardware.
constexpr std::uint64_t kMinTimerHz = 1'000'000;
constexpr std::uint64_t kMaxTimerHz = 10'000'000'000;

struct alignas(64) CpuTimer {  // one cache line per CPU: the tick counter is hot
  std::atomic<std::uint64_t> ticks{0};
  std::uint64_t hz = 0;
  // The periodic tick, touched only by its own CPU with interrupts off.
  std::uint64_t periods[kTickUsers] = {};  // what each user asked for (0: nothing)
  std::uint64_t running_period = 0;        // what the timer is armed with (0: not by the tick)
  bool claimed = false;
  // Tickless idle (tick_idle_stop): the periodic tick is stopped and a one-shot armed for the
  // CPU's next event. Written by the CPU itself with interrupts off; read by other CPUs (the
  // watchdog, the idle balancer) as a relaxed hint.
  std::atomic<bool> idle_stopped{false};
  std::atomic<std::uint64_t> idle_until_ns{0};  // when the one-shot is due (now_ns time)
  std::atomic<std::uint64_t> idle_stops{0};
  bool rate_borrowed = false;  // calibration failed here: runs at the boot CPU's rate
  // begin_boot_rate_check's reading (checking: begun and not finished).
  bool checking = false;
  std::uint32_t check_count = 0;
  std::uint64_t check_tsc = 0;
};

CpuTimer g_timers[smp::kMaxCpus];
std::atomic<TickHook> g_hooks[kMaxTickHooks] = {};
bool g_deadline = false;
bool g_arat = false;
// The boot CPU's calibrated rate, the fallback of an AP whose own calibration fails. Written
// by the boot CPU before any AP starts (the AP start-up publishes it); 0 if it failed too.
std::uint64_t g_boot_hz = 0;
std::atomic<std::uint32_t> g_borrowed{0};
// Relaxed: a tuning value read at each idle entry; nothing else depends on it.
std::atomic<std::uint64_t> g_max_idle_sleep_ns{kDefaultMaxIdleSleepNs};

CpuTimer& this_cpu() {
  // Callers run with interrupts off (see the header): the CPU number stays valid.
  const std::uint32_t n = arch::current_cpu_index();
  // Invariant only: kcpus::bringup::plan_targets never numbers a CPU at or above kMaxCpus.
  if (n >= smp::kMaxCpus) panic("ktime: CPU number {} beyond smp::kMaxCpus", n);
  return g_timers[n];
}

void on_timer(arch::InterruptFrame&) {
  this_cpu().ticks.fetch_add(1, std::memory_order_relaxed);
  // The watchdog's heartbeat and the call service's reports read the per-CPU block's copy.
  arch::count_timer_tick();
  for (std::atomic<TickHook>& slot : g_hooks) {
    if (const TickHook hook = slot.load(std::memory_order_acquire)) hook();
  }
}

std::uint64_t shortest_period(const CpuTimer& cpu) {
  std::uint64_t p = 0;
  for (const std::uint64_t asked : cpu.periods) {
    if (asked != 0 && (p == 0 || asked < p)) p = asked;
  }
  return p;
}

// Brings the timer in line with the users' records. Not while claimed.
void apply_tick(CpuTimer& cpu) {
  const std::uint64_t p = shortest_period(cpu);
  if (p == cpu.running_period) return;
  if (p == 0) {
    timer_stop();
  } else if (!timer_periodic(p)) {
    // tick_start checked that the period fits this CPU's timer, so this is a broken timer.
    panic("ktime: CPU {}: periodic tick of {} ns could not be armed", arch::current_cpu_index(), p);
  }
  cpu.running_period = p;
}

// Timer counts for `ns`, or 0 if it does not fit / the timer is not calibrated.
std::uint32_t count_for(std::uint64_t ns) {
  const std::uint64_t hz = this_cpu().hz;
  if (hz == 0) return 0;
  const std::uint64_t count = mul_div(ns, hz, kNsPerSecond);
  if (count > kMaxCount) return 0;
  return count == 0 ? 1 : static_cast<std::uint32_t>(count);
}

// The timer's count and the TSC when it was read: the midpoint of two TSC reads around it. A
// count read can take far longer than usual when the CPU is interrupted between the reads (an
// SMI; under an emulator a descheduled virtual CPU, or a host lock around the device): a reading
// whose TSC reads are more than `max_spread` cycles apart is taken again, up to kReadTries times
// (then the last one is used; the agreement checks catch a bad run).
struct CountReading {
  std::uint32_t count = 0;
  std::uint64_t tsc = 0;
};
constexpr unsigned kReadTries = 8;
// A run's error is at most half of each end's spread: 1/400 of the run at each end keeps it
// under 0.25%, well inside the 1% two runs must agree by.
constexpr std::uint64_t kSpreadDivisor = 400;

CountReading read_count(apic::LocalApicDevice& dev, std::uint64_t max_spread) {
  CountReading r;
  for (unsigned i = 0; i < kReadTries; ++i) {
    const std::uint64_t before = arch::rdtsc();
    r.count = dev.timer_current_count();
    const std::uint64_t after = arch::rdtsc();
    r.tsc = before + (after - before) / 2;
    if (after - before <= max_spread) break;
  }
  return r;
}

std::uint64_t ns_to_cycles(std::uint64_t ns) { return mul_div(ns, tsc_hz(), kNsPerSecond); }

// Counts per second between two readings of a timer counting down, or 0 (ran out, did not
// count, or no time passed).
std::uint64_t rate_between(const CountReading& start, const CountReading& end) {
  if (end.count == 0 || end.count >= start.count || end.tsc <= start.tsc) return 0;
  return mul_div(start.count - end.count, tsc_hz(), end.tsc - start.tsc);
}

// Starts the timer counting down from the largest count, masked: it counts without interrupting.
void start_masked_countdown(apic::LocalApicDevice& dev) {
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, kMaxCount);
  dev.mask_lvt(apic::Register::kLvtTimer);
}

// One calibration run of `ns`: timer counts per second, or 0.
std::uint64_t calibrate_once(apic::LocalApicDevice& dev) {
  start_masked_countdown(dev);
  const std::uint64_t max_spread = ns_to_cycles(kCalibrationNs) / kSpreadDivisor;
  const CountReading start = read_count(dev, max_spread);
  delay_ns(kCalibrationNs);
  const CountReading end = read_count(dev, max_spread);
  dev.timer_stop();
  return rate_between(start, end);
}

}  // namespace

void init_timer_interrupts() {
  const arch::CpuidResult leaf1 = arch::cpuid(1);
  g_deadline = (leaf1.ecx & kCpuid1EcxTscDeadline) != 0;
  if (arch::cpuid(0).eax >= 6) g_arat = (arch::cpuid(6).eax & kCpuid6EaxArat) != 0;
  klog::info("lapic timer: TSC-deadline {}, ARAT {}", g_deadline ? "yes" : "no",
             g_arat ? "yes" : "no (stops in deep C-states)");
  kinterrupts::set_handler(arch::Vector::kTimer, on_timer);
}

std::uint64_t init_this_cpu_timer() {
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  CpuTimer& cpu = this_cpu();
  const std::uint32_t cpu_number = arch::current_cpu_index();
  if (tsc_hz() == 0) {
    klog::error("lapic timer: CPU {}: TSC not calibrated (ktime::init first)", cpu_number);
    return 0;
  }
  // Every run so far; any two that agree within 1% decide (not only consecutive ones: one
  // disturbed run between two good ones must not cost the CPU its tick).
  std::uint64_t runs[kCalibrationRuns] = {};
  std::uint64_t mean = 0;
  std::uint32_t done = 0;
  while (done < kCalibrationRuns && mean == 0) {
    const std::uint64_t hz = calibrate_once(dev);
    if (hz == 0) {
      klog::error("lapic timer: CPU {}: the timer did not count down in 10 ms", cpu_number);
      return 0;
    }
    for (std::uint32_t i = 0; i < done && mean == 0; ++i) {
      const std::uint64_t diff = hz > runs[i] ? hz - runs[i] : runs[i] - hz;
      if (diff <= runs[i] / kAgreementDivisor) mean = (hz + runs[i]) / 2;
    }
    runs[done++] = hz;
  }
  if (mean != 0 && (mean < kMinTimerHz || mean > kMaxTimerHz)) {
    klog::error("lapic timer: CPU {}: {} Hz outside 1 MHz..10 GHz", cpu_number, mean);
    mean = 0;
  }
  if (mean == 0) {
    // The LAPIC timers of one machine run from one clock (the core crystal or bus clock), so
    // the boot CPU's rate is this CPU's too (Linux calibrates once, on the boot CPU). A CPU
    // without a tick would run its threads until they block: never leave it so.
    if (cpu_number == 0 || g_boot_hz == 0) {
      klog::error("lapic timer: CPU {}: no two of {} runs agreed within 1% (last {} Hz), and no "
                  "boot CPU rate to fall back on", cpu_number, done, runs[done - 1]);
      return 0;
    }
    klog::warn("lapic timer: CPU {}: no two of {} runs agreed within 1% (last {} Hz); using "
               "the boot CPU's {} kHz (one clock drives every LAPIC timer)", cpu_number, done,
               runs[done - 1], g_boot_hz / 1000);
    cpu.rate_borrowed = true;
    g_borrowed.fetch_add(1, std::memory_order_relaxed);
    cpu.hz = g_boot_hz;
    return g_boot_hz;
  }
  cpu.hz = mean;
  if (cpu_number == 0) g_boot_hz = mean;
  // APs log at debug level: dozens of them calibrating at once would queue on the console
  // lock, and the boot CPU prints every CPU's rate in the bring-up summary anyway.
  klog::line(cpu_number == 0 ? klog::Level::kInfo : klog::Level::kDebug,
             "lapic timer: CPU {}: {} kHz (divide 1, {} runs)", cpu_number, mean / 1000, done);
  return mean;
}

void begin_boot_rate_check() {
  CpuTimer& cpu = this_cpu();
  if (arch::current_cpu_index() == 0 || g_boot_hz == 0) return;  // finish calibrates
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  start_masked_countdown(dev);
  const CountReading start = read_count(dev, ns_to_cycles(kRateCheckNs) / kSpreadDivisor);
  cpu.check_count = start.count;
  cpu.check_tsc = start.tsc;
  cpu.checking = true;
}

std::uint64_t finish_boot_rate_check() {
  CpuTimer& cpu = this_cpu();
  // g_boot_hz was written before this AP was started (the start-up IPIs follow a full fence).
  const std::uint32_t cpu_number = arch::current_cpu_index();
  if (!cpu.checking) return init_this_cpu_timer();
  cpu.checking = false;
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  // At >= 1 MHz a run of 1 ms counts >= 1000, enough to tell 1% apart: the rest of it now if
  // the wait was shorter (a fast machine).
  const std::uint64_t run_cycles = ns_to_cycles(kRateCheckNs);
  std::uint64_t waited = arch::rdtsc() - cpu.check_tsc;
  if (waited < run_cycles) {
    delay_ns(mul_div(run_cycles - waited, kNsPerSecond, tsc_hz()));
    waited = run_cycles;
  }
  // The spread allowed is that of the run as long as it was: after a bring-up of tens of ms
  // (every AP of an emulated machine reading its timer at once, each read a trip through the
  // emulator's device model) one read nearly always does.
  const CountReading end = read_count(dev, waited / kSpreadDivisor);
  dev.timer_stop();
  const std::uint64_t hz = rate_between(CountReading{cpu.check_count, cpu.check_tsc}, end);
  const std::uint64_t diff = hz > g_boot_hz ? hz - g_boot_hz : g_boot_hz - hz;
  if (hz == 0 || diff > g_boot_hz / kAgreementDivisor) {
    klog::debug("lapic timer: CPU {}: {} Hz in a {} us check, boot CPU {} Hz: calibrating",
                cpu_number, hz, mul_div(end.tsc - cpu.check_tsc, 1'000'000, tsc_hz()),
                g_boot_hz);
    return init_this_cpu_timer();
  }
  cpu.hz = g_boot_hz;
  return g_boot_hz;
}

std::uint32_t timers_on_boot_rate() { return g_borrowed.load(std::memory_order_relaxed); }

std::uint64_t lapic_timer_hz() { return this_cpu().hz; }

bool tsc_deadline_supported() { return g_deadline; }
bool always_running_timer() { return g_arat; }

bool timer_one_shot(std::uint64_t ns) {
  const std::uint32_t count = count_for(ns);
  if (count == 0) return false;
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, count);
  return true;
}

bool timer_periodic(std::uint64_t period_ns) {
  const std::uint32_t count = count_for(period_ns);
  if (count == 0) return false;
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  dev.timer_divide_by_1();
  dev.timer_start_periodic(arch::Vector::kTimer, count);
  return true;
}

bool timer_deadline(std::uint64_t tsc) {
  if (!g_deadline) return false;
  kinterrupts::this_cpu_device().timer_set_tsc_deadline_mode(arch::Vector::kTimer);
  // The SDM: a write to IA32_TSC_DEADLINE before the LVT's switch to TSC-deadline mode has
  // taken effect is ignored; the xAPIC LVT write is an MMIO store that WRMSR does not wait for,
  // so MFENCE orders the two.
  asm volatile("mfence" : : : "memory");
  arch::wrmsr(static_cast<arch::Msr>(apic::kMsrTscDeadline), tsc);
  return true;
}

void timer_stop() {
  apic::LocalApicDevice& dev = kinterrupts::this_cpu_device();
  if (g_deadline) arch::wrmsr(static_cast<arch::Msr>(apic::kMsrTscDeadline), 0);
  dev.timer_stop();
}

std::uint64_t timer_ticks() { return this_cpu().ticks.load(std::memory_order_relaxed); }

std::uint64_t timer_ticks_on(std::uint32_t cpu) {
  return cpu < smp::kMaxCpus ? g_timers[cpu].ticks.load(std::memory_order_relaxed) : 0;
}

bool add_tick_hook(TickHook hook) {
  for (std::atomic<TickHook>& slot : g_hooks) {
    if (slot.load(std::memory_order_relaxed) == hook) return true;
  }
  for (std::atomic<TickHook>& slot : g_hooks) {
    TickHook empty = nullptr;
    // Release: whatever the hook's owner set up before adding it is visible to the ticks that
    // load the slot (acquire in on_timer).
    if (slot.compare_exchange_strong(empty, hook, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

void remove_tick_hook(TickHook hook) {
  for (std::atomic<TickHook>& slot : g_hooks) {
    TickHook expected = hook;
    slot.compare_exchange_strong(expected, nullptr, std::memory_order_relaxed);
  }
}

bool tick_start(TickUser user, std::uint64_t period_ns) {
  if (count_for(period_ns) == 0) return false;
  CpuTimer& cpu = this_cpu();
  cpu.periods[static_cast<std::uint32_t>(user)] = period_ns;
  if (!cpu.claimed) apply_tick(cpu);
  return true;
}

void tick_stop(TickUser user) {
  CpuTimer& cpu = this_cpu();
  cpu.periods[static_cast<std::uint32_t>(user)] = 0;
  if (!cpu.claimed) apply_tick(cpu);
}

std::uint64_t tick_period_ns() { return shortest_period(this_cpu()); }

void claim_timer() {
  CpuTimer& cpu = this_cpu();
  if (cpu.claimed) panic("ktime: CPU {}: timer claimed twice", arch::current_cpu_index());
  cpu.claimed = true;
  timer_stop();
  cpu.running_period = 0;
}

void release_timer() {
  CpuTimer& cpu = this_cpu();
  if (!cpu.claimed) panic("ktime: CPU {}: timer released unclaimed", arch::current_cpu_index());
  timer_stop();  // whatever the claimant left armed
  cpu.claimed = false;
  apply_tick(cpu);
}

bool timer_claimed() { return this_cpu().claimed; }

bool tick_idle_stop(std::uint64_t deadline_ns) {
  CpuTimer& cpu = this_cpu();
  if (cpu.claimed || cpu.running_period == 0 || cpu.hz == 0) return false;
  const std::uint64_t now = now_ns();
  std::uint64_t sleep_ns = deadline_ns > now ? deadline_ns - now : 0;
  // An event within the next tick: the periodic tick serves it as well as a one-shot would.
  if (sleep_ns < cpu.running_period) return false;
  const std::uint64_t limit_ns = g_max_idle_sleep_ns.load(std::memory_order_relaxed);
  if (sleep_ns > limit_ns) sleep_ns = limit_ns;
  // The 32-bit count at divide 1 holds 2^32 / hz seconds (about 4 s at 1 GHz).
  const std::uint64_t longest_ns = mul_div(kMaxCount, kNsPerSecond, cpu.hz);
  if (sleep_ns > longest_ns) sleep_ns = longest_ns;
  // One-shot mode replaces the periodic one (the LVT write switches the mode, the initial count
  // restarts the count-down). Without ARAT this relies on the CPU staying in C1 (hlt) while it
  // waits: the header's rule.
  if (!timer_one_shot(sleep_ns)) return false;
  cpu.running_period = 0;
  cpu.idle_until_ns.store(now + sleep_ns, std::memory_order_relaxed);
  cpu.idle_stopped.store(true, std::memory_order_relaxed);
  cpu.idle_stops.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void set_max_idle_sleep_ns(std::uint64_t ns) {
  g_max_idle_sleep_ns.store(ns, std::memory_order_relaxed);
}

void tick_idle_restart() {
  CpuTimer& cpu = this_cpu();
  if (!cpu.idle_stopped.load(std::memory_order_relaxed)) return;
  cpu.idle_stopped.store(false, std::memory_order_relaxed);
  if (cpu.claimed) return;  // the claim stopped the timer; its release re-arms the tick
  timer_stop();             // the one-shot, if it has not fired
  cpu.running_period = 0;
  apply_tick(cpu);
}

bool tick_idle_stopped(std::uint32_t cpu) {
  return cpu < smp::kMaxCpus && g_timers[cpu].idle_stopped.load(std::memory_order_relaxed);
}

std::uint64_t tick_idle_quiet_until(std::uint32_t cpu) {
  if (!tick_idle_stopped(cpu)) return 0;
  return g_timers[cpu].idle_until_ns.load(std::memory_order_relaxed);
}

std::uint64_t tick_idle_stops(std::uint32_t cpu) {
  return cpu < smp::kMaxCpus ? g_timers[cpu].idle_stops.load(std::memory_order_relaxed) : 0;
}

bool tick_pending() {
  const std::uint32_t v = arch::vector_number(arch::Vector::kTimer);
  const std::uint32_t offset = apic::offset_of(apic::Register::kIrrBase) + (v / 32) * 0x10;
  return ((kinterrupts::read_register(offset) >> (v % 32)) & 1) != 0;
}

}  // namespace ktime
