#include "kernel/time/lapic_timer.h"

#include <atomic>

#include "kernel/arch/x86_64/apic/interrupt_dispatch.h"
#include "kernel/arch/x86_64/apic/lapic_registers.h"
#include "kernel/arch/x86_64/apic/local_apic.h"
#include "kernel/arch/x86_64/apic/this_cpu_lapic.h"
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
// must agree within 1% (the timer's input clock is fixed, so only interference differs).
constexpr std::uint64_t kCalibrationNs = 10'000'000;
constexpr std::uint32_t kCalibrationRuns = 5;
constexpr std::uint64_t kAgreementDivisor = 100;
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
};

CpuTimer g_timers[smp::kMaxCpus];
std::atomic<TickHook> g_hooks[kMaxTickHooks] = {};
bool g_deadline = false;
bool g_arat = false;

CpuTimer& this_cpu() {
  // Callers run with interrupts off (see the header): the CPU number stays valid.
  const std::uint32_t n = arch::current_cpu_number();
  if (n >= smp::kMaxCpus) panic("ktime: CPU number {} beyond smp::kMaxCpus", n);
  return g_timers[n];
}

void on_timer(arch::InterruptFrame&) {
  this_cpu().ticks.fetch_add(1, std::memory_order_relaxed);
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
    panic("ktime: CPU {}: periodic tick of {} ns could not be armed", arch::current_cpu_number(), p);
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

// One calibration run: timer counts per second, or 0.
std::uint64_t calibrate_once(apic::LocalApicDevice& dev) {
  // Masked one-shot from the largest count: it counts down without interrupting.
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, kMaxCount);
  dev.mask_lvt(apic::Register::kLvtTimer);
  const std::uint64_t t0 = arch::rdtsc();
  const std::uint32_t c0 = dev.timer_current_count();
  delay_ns(kCalibrationNs);
  const std::uint32_t c1 = dev.timer_current_count();
  const std::uint64_t t1 = arch::rdtsc();
  dev.timer_stop();
  if (c1 == 0 || c1 >= c0) return 0;  // ran out (input clock > 400 GHz?) or did not count
  const std::uint64_t cycles = t1 - t0;
  if (cycles == 0) return 0;
  return mul_div(c0 - c1, tsc_hz(), cycles);
}

}  // namespace

void init_timer_interrupts() {
  const arch::CpuidResult leaf1 = arch::cpuid(1);
  g_deadline = (leaf1.ecx & kCpuid1EcxTscDeadline) != 0;
  if (arch::cpuid(0).eax >= 6) g_arat = (arch::cpuid(6).eax & kCpuid6EaxArat) != 0;
  klog::info("lapic timer: TSC-deadline {}, ARAT {}", g_deadline ? "yes" : "no",
             g_arat ? "yes" : "no (stops in deep C-states)");
  apic::set_handler(arch::Vector::kTimer, on_timer);
}

std::uint64_t init_this_cpu_timer() {
  apic::LocalApicDevice& dev = apic::this_cpu_device();
  CpuTimer& cpu = this_cpu();
  if (tsc_hz() == 0) {
    klog::error("lapic timer: CPU {}: TSC not calibrated (ktime::init first)",
                arch::current_cpu_number());
    return 0;
  }
  std::uint64_t previous = 0;
  for (std::uint32_t run = 1; run <= kCalibrationRuns; ++run) {
    const std::uint64_t hz = calibrate_once(dev);
    if (hz == 0) {
      klog::error("lapic timer: CPU {}: the timer did not count down in 10 ms",
                  arch::current_cpu_number());
      return 0;
    }
    if (previous != 0) {
      const std::uint64_t diff = hz > previous ? hz - previous : previous - hz;
      if (diff <= previous / kAgreementDivisor) {
        const std::uint64_t mean = (hz + previous) / 2;
        if (mean < kMinTimerHz || mean > kMaxTimerHz) {
          klog::error("lapic timer: CPU {}: {} Hz outside 1 MHz..10 GHz",
                      arch::current_cpu_number(), mean);
          return 0;
        }
        cpu.hz = mean;
        // APs log at debug level: dozens of them calibrating at once would queue on the console
        // lock, and the boot CPU prints every CPU's rate in the bring-up summary anyway.
        const std::uint32_t cpu_number = arch::current_cpu_number();
        klog::line(cpu_number == 0 ? klog::Level::kInfo : klog::Level::kDebug,
                   "lapic timer: CPU {}: {} kHz (divide 1, {} runs)", cpu_number, mean / 1000, run);
        return mean;
      }
    }
    previous = hz;
  }
  klog::error("lapic timer: CPU {}: no two of {} runs agreed within 1% (last {} Hz)",
              arch::current_cpu_number(), kCalibrationRuns, previous);
  return 0;
}

std::uint64_t lapic_timer_hz() { return this_cpu().hz; }

bool tsc_deadline_supported() { return g_deadline; }
bool always_running_timer() { return g_arat; }

bool timer_one_shot(std::uint64_t ns) {
  const std::uint32_t count = count_for(ns);
  if (count == 0) return false;
  apic::LocalApicDevice& dev = apic::this_cpu_device();
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, count);
  return true;
}

bool timer_periodic(std::uint64_t period_ns) {
  const std::uint32_t count = count_for(period_ns);
  if (count == 0) return false;
  apic::LocalApicDevice& dev = apic::this_cpu_device();
  dev.timer_divide_by_1();
  dev.timer_start_periodic(arch::Vector::kTimer, count);
  return true;
}

bool timer_deadline(std::uint64_t tsc) {
  if (!g_deadline) return false;
  apic::this_cpu_device().timer_set_tsc_deadline_mode(arch::Vector::kTimer);
  // The SDM: a write to IA32_TSC_DEADLINE before the LVT's switch to TSC-deadline mode has
  // taken effect is ignored; the xAPIC LVT write is an MMIO store that WRMSR does not wait for,
  // so MFENCE orders the two.
  asm volatile("mfence" : : : "memory");
  arch::wrmsr(static_cast<arch::Msr>(apic::kMsrTscDeadline), tsc);
  return true;
}

void timer_stop() {
  apic::LocalApicDevice& dev = apic::this_cpu_device();
  if (g_deadline) arch::wrmsr(static_cast<arch::Msr>(apic::kMsrTscDeadline), 0);
  dev.timer_stop();
}

std::uint64_t timer_ticks() { return this_cpu().ticks.load(std::memory_order_relaxed); }

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
  if (cpu.claimed) panic("ktime: CPU {}: timer claimed twice", arch::current_cpu_number());
  cpu.claimed = true;
  timer_stop();
  cpu.running_period = 0;
}

void release_timer() {
  CpuTimer& cpu = this_cpu();
  if (!cpu.claimed) panic("ktime: CPU {}: timer released unclaimed", arch::current_cpu_number());
  timer_stop();  // whatever the claimant left armed
  cpu.claimed = false;
  apply_tick(cpu);
}

bool timer_claimed() { return this_cpu().claimed; }

bool tick_pending() {
  const std::uint32_t v = arch::vector_number(arch::Vector::kTimer);
  const std::uint32_t offset = apic::offset_of(apic::Register::kIrrBase) + (v / 32) * 0x10;
  return ((apic::read_register(offset) >> (v % 32)) & 1) != 0;
}

}  // namespace ktime
