// Kernel time: the TSC as the monotonic clock (rate from CPUID 0x15 where exact, else measured
// against the HPET, the ACPI PM timer or the PIT: kernel/time/tsc_rate.h), bounded busy-waits,
// and the per-CPU local APIC timer calibrated against the TSC (kernel/time/lapic_timer.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/arch/x86_64/cpu.h"

#include "kernel/time/tsc_rate.h"

namespace ktime {

// Boot CPU, once, after kinterrupts::init_boot_cpu() and the ACPI tables are known (set_hpet /
// set_pm_timer before, when the firmware has them). Determines the TSC rate (every loop
// bounded, result checked: 100 MHz..10 GHz, two runs within 0.5%), reports it
// (`tsc: 2994 MHz (HPET), invariant`), installs the timer/error/spurious interrupt handlers and
// calibrates the boot CPU's LAPIC timer (init_this_cpu_timer). Panics only if no source at all
// yields a rate (then no timeout in the kernel could mean anything).
void init();

// Reference clocks for the calibration, from the ACPI tables (kernel/firmware), before init().
// hpet_base: physical address of the HPET register block (memory space).
void set_hpet(std::uint64_t hpet_base);
// PM timer: `io_port` (FADT PM_TMR_BLK / X_PM_TMR_BLK in I/O space), 24 or 32 bits wide.
void set_pm_timer(std::uint16_t io_port, bool is_32bit);

// Nanoseconds since the TSC was zero, monotonic on this CPU, and across CPUs: the SMP bring-up
// checks that the TSCs agree (kernel/time/tsc_sync_boot.h); where they do not, every result is
// clamped to be at least the largest one returned on any CPU so far. Valid after init(); before
// it, a 1 GHz assumption (timeouts err long). Inline: system calls read it on the way in and
// out (the CPU time accounting), and a call costs an emulator a lookup of its return address.
inline std::uint64_t now_ns();

// The conversion now_ns() applies to the TSC while the TSCs agree: ns = (TSC * mult) >> shift,
// the 128-bit product's low 64 bits (the vDSO computes the same, kernel/vdso/vvar.h). The
// fallback before init(), the measured rate after it.
struct TscConversion {
  std::uint64_t mult;
  std::uint32_t shift;
};
TscConversion tsc_conversion();

// The TSCs of the CPUs disagree (the bring-up check found a warp it could not correct): from now
// on now_ns() is monotonic across CPUs through one shared last value (an atomic read, and a
// compare-and-swap when time advanced, per call). A CPU whose TSC is behind sees time stand still
// until it catches up with the value the others returned. Any CPU, once.
void set_tsc_unsynchronized();
// False after set_tsc_unsynchronized().
bool tsc_synchronized();

// Busy-waits at least `ns` / `us` by the TSC (bounded: the TSC always advances). Any CPU.
void delay_ns(std::uint64_t ns);
void delay_us(std::uint64_t us);

// The TSC when kernel_main began (set once by it, first thing), and the nanoseconds since then
// by the TSC rate (after init()): the boot figures of docs/boot-flow.md and scripts/bench
// --vs-linux ("kernel start to /init").
void set_entry_tsc(std::uint64_t tsc);
std::uint64_t since_entry_ns();

// The TSC rate in Hz and its source (after init()).
std::uint64_t tsc_hz();
TscSource tsc_source();
bool tsc_invariant();

// THIS CPU's local APIC timer: measures its rate against the TSC (divide-by-1 input clock;
// bounded, checked for agreement), stores it for this CPU, leaves the timer masked and stopped,
// and returns the rate (0 on failure, reported). Every CPU calls it once after
// kinterrupts::init_*(); interrupts off. Needs init() on the boot CPU first.
std::uint64_t init_this_cpu_timer();
// An AP's LAPIC timer at the boot CPU's calibrated rate once a run here agrees with it within
// 1%: the LAPIC timers of one machine count one clock (the core crystal or bus clock; Linux
// calibrates once, on the boot CPU, and every AP uses that period), and the check still catches
// a timer that does not. The run spans the AP's wait for the release instead of a busy wait of
// its own: begin_boot_rate_check() starts the timer counting down (masked) when the AP's APIC is
// up; finish_boot_rate_check(), after the release, reads it again, waits out the rest of 1 ms
// if the bring-up was faster than that, and compares. A run that disagrees, one the count ran
// out in, or no boot CPU rate falls back to init_this_cpu_timer() there. Both: this CPU,
// interrupts off, nothing else using its timer in between. finish leaves the timer masked and
// stopped and returns the rate in use (0 on failure, reported).
void begin_boot_rate_check();
std::uint64_t finish_boot_rate_check();
// The calibrated LAPIC timer rate of the current CPU (0 before init_this_cpu_timer()).
std::uint64_t lapic_timer_hz();

namespace detail {
// now_ns()'s state (clock.cc): the TSC conversion, and whether results are clamped to the
// largest one so far (set_tsc_unsynchronized).
inline constexpr unsigned kMultShift = 32;
extern std::atomic<std::uint64_t> g_mult;
extern std::atomic<bool> g_clamped;
// `ns`, or the largest result any CPU has had if that is later; raises it to `ns` otherwise.
std::uint64_t clamp_to_last(std::uint64_t ns);
}  // namespace detail

inline std::uint64_t now_ns() {
  // Ordered: the TSC is read after every earlier load has completed, so a time read here is
  // never older than one this CPU saw earlier (from another CPU's clock read, through memory).
  const unsigned __int128 product = static_cast<unsigned __int128>(arch::rdtsc_ordered()) *
                                    detail::g_mult.load(std::memory_order_relaxed);
  const auto ns = static_cast<std::uint64_t>(product >> detail::kMultShift);
  if (!detail::g_clamped.load(std::memory_order_relaxed)) [[likely]] return ns;
  return detail::clamp_to_last(ns);
}

}  // namespace ktime
