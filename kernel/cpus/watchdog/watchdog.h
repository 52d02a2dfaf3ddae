// The stall watchdog: reports a CPU that has had interrupts off, or has spun on one lock,
// longer than kStallBoundNs.
//
// Interrupts off: every watched CPU takes a periodic LAPIC timer tick (at most kTickPeriodNs:
// the tick is shared with the scheduler's, ktime::tick_start, and runs at the shorter period); its
// heartbeat is the per-CPU timer tick counter (CpuLocal::timer_ticks). A CPU in tickless idle
// (halted, interrupts on, tick stopped on purpose) counts as alive until its one-shot is due
// (ktime::tick_idle_quiet_until); idle CPUs wake at least every kIdleCheckNs to run the check. On each tick a CPU
// checks the other watched CPUs' counters: one that has not moved for kStallBoundNs is reported
// once per stall (which CPU, for how long, the locks it holds). No NMI is needed; a stall is
// seen as long as one watched CPU still takes interrupts.
// Lock spins: the lock library's spin limit (smp/locks/spin_wait.h) is set to kStallBoundNs;
// a spin past it is reported by platform::lock_violation (lock, class, holder CPU) as a panic.
//
// The boot CPU runs kernel_main (and, with the scheduler, the main thread's tests) with
// interrupts off for long stretches by design, so it is watched only while it waits with
// interrupts on (watch_this_cpu()).
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace watchdog {

inline constexpr std::uint64_t kStallBoundNs = 2'000'000'000;
inline constexpr std::uint64_t kTickPeriodNs = 10'000'000;
inline constexpr std::uint64_t kIdleCheckNs = kStallBoundNs / 4;

// Boot CPU after the call service is up: asks for the periodic tick on every online AP (the
// APs serve calls while they wait to enter the scheduler), adds on_tick to the timer's tick
// hooks and lowers the lock spin limit. False when an AP's tick could not be armed or no hook
// slot was free (reported).
[[nodiscard]] bool start();
bool running();

// The check, a timer tick hook (runs beside the scheduler's). Interrupts off.
void on_tick();

// Adds / removes the current CPU from the watched set (the boot CPU around a wait with
// interrupts on). Asks for / gives up this CPU's periodic tick (a scheduler tick stays).
void watch_this_cpu();
void unwatch_this_cpu();

// Stalls reported so far, and the CPU of the last one (kNoCpu: none).
std::uint64_t stalls_reported();
std::uint32_t last_stalled_cpu();

}  // namespace watchdog
