// The local APIC timer of the CPU running the code: calibrated per CPU against the TSC, armed
// one-shot, periodic or (CPUID.1:ECX[24]) by TSC deadline; its interrupt counts ticks per CPU
// and calls the tick hook (the scheduler's, later). All functions act on the current CPU and
// need interrupts off (the timer is this CPU's) unless noted.
#pragma once

#include <cstdint>

namespace ktime {

// Boot CPU, once (from init()): checks and reports ARAT and TSC-deadline support, installs
// the timer interrupt handler.
void init_timer_interrupts();

// CPUID.1:ECX[24]: the LAPIC timer has TSC-deadline mode.
bool tsc_deadline_supported();
// CPUID.6:EAX[2] (ARAT): the timer keeps running in deep C-states.
bool always_running_timer();

// Fires once after `ns` (rounded to at least one timer tick). False if the timer is not
// calibrated or the count does not fit 32 bits.
[[nodiscard]] bool timer_one_shot(std::uint64_t ns);
// Fires every `period_ns` until timer_stop(). Same failure cases.
[[nodiscard]] bool timer_periodic(std::uint64_t period_ns);
// TSC-deadline mode: fires when the TSC reaches `tsc` (0 disarms). False without support.
[[nodiscard]] bool timer_deadline(std::uint64_t tsc);
// Masks the timer and stops it (count 0, deadline 0).
void timer_stop();

// Timer interrupts this CPU has taken (any mode).
std::uint64_t timer_ticks();

// Called from the timer interrupt on the CPU that took it, interrupts off. One hook for all
// CPUs; nullptr for none.
using TickHook = void (*)();
void set_tick_hook(TickHook hook);

}  // namespace ktime
