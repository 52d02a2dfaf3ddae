// The local APIC timer of the CPU running the code: calibrated per CPU against the TSC, armed
// one-shot, periodic or (CPUID.1:ECX[24]) by TSC deadline; its interrupt counts ticks per CPU
// and calls the registered tick hooks (the scheduler's, the watchdog's). All functions act on
// the current CPU and need interrupts off (the timer is this CPU's) unless noted.
//
// Users: the periodic tick (tick_start) is shared by the scheduler and the watchdog; the raw
// timer_* calls below belong to whoever holds the CPU's TimerClaim (the tests), or to a CPU
// that runs no tick.
#pragma once

#include <cstdint>

namespace ktime {

// Boot CPU, once (from init()): checks and reports ARAT and TSC-deadline support, installs
// the timer interrupt handler.
void init_timer_interrupts();

// CPUID.1:ECX[24]: the LAPIC timer has TSC-deadline mode.
bool tsc_deadline_supported();
// CPUID.6:EAX[2] (ARAT): the timer keeps running in deep C-states. Without it the timer stops
// in C-states deeper than C1, so an idle CPU must not go deeper than C1 while it relies on the
// timer to wake it (tickless idle does). The kernel idles only with HLT (C1, where the SDM keeps
// the LAPIC timer running), so the rule holds on every CPU; any deeper idle state (MWAIT with a
// C-state hint) must be gated on this (docs/scheduling.md, "Tickless idle").
bool always_running_timer();

// APs whose calibration failed (no two runs agreed, e.g. a virtual CPU descheduled in the
// middle of the runs) and that use the boot CPU's rate instead (each is reported at bring-up).
std::uint32_t timers_on_boot_rate();

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
// Timer interrupts `cpu` has taken (any CPU may ask; a relaxed snapshot). 0 beyond kMaxCpus.
std::uint64_t timer_ticks_on(std::uint32_t cpu);

// ---- Tick hooks ----------------------------------------------------------------------------
// Functions called from every timer interrupt on the CPU that took it, interrupts off, in the
// order they were added. A small fixed registry shared by the scheduler and the watchdog (and
// tests): every registered hook runs on each tick.
using TickHook = void (*)();
inline constexpr std::uint32_t kMaxTickHooks = 4;

// Adds `hook` (true; also when it is already registered). False when all kMaxTickHooks slots
// are taken. Any context; lock-free.
[[nodiscard]] bool add_tick_hook(TickHook hook);
// Removes `hook` if registered. A tick already running it on another CPU may still call it
// once (callers keep the hook's data alive).
void remove_tick_hook(TickHook hook);

// ---- The periodic tick -------------------------------------------------------------------
// The standing periodic timer of a CPU, shared by its users: each asks for a period and the
// timer runs at the shortest one asked for (stopped when no user is left). Interrupts off;
// these act on the current CPU.
enum class TickUser : std::uint8_t { kScheduler, kWatchdog };
inline constexpr std::uint32_t kTickUsers = 2;

// Records `user`'s period and re-arms the timer if the shortest period changed. False when the
// timer is not calibrated or the period does not fit (the record is dropped then).
[[nodiscard]] bool tick_start(TickUser user, std::uint64_t period_ns);
void tick_stop(TickUser user);
// The period the tick runs at on this CPU (0: no tick), whether claimed or not.
std::uint64_t tick_period_ns();

// Exclusive use of this CPU's timer (tests that count exact timer interrupts, calibration):
// the periodic tick is stopped for the claim's lifetime and re-armed at its period afterwards.
// While claimed, tick_start/tick_stop only update the records. One claim per CPU at a time.
// A tick that was already pending (IRR) when the claim began is still delivered once
// interrupts are enabled: callers that count exact ticks drain it first (tick_pending()).
void claim_timer();
void release_timer();
bool timer_claimed();
// The timer vector is pending in this CPU's IRR (requested, not yet taken).
bool tick_pending();

// ---- Tickless idle (NO_HZ_IDLE) ---------------------------------------------------------
// An idle CPU stops its periodic tick and arms a one-shot for its next timer event only; the
// tick restarts when the CPU leaves idle (docs/scheduling.md, "Tickless idle"). Interrupts
// off, on the CPU itself.

// Before the idle halt: stops the periodic tick and arms a one-shot for `deadline_ns`
// (ktime::now_ns() time), at most the idle sleep limit ahead (also with no deadline: kNoIdleDeadline). False,
// with nothing changed, when the timer is claimed, no periodic tick runs, or the deadline is
// less than one tick period away (the CPU then halts with its tick running).
inline constexpr std::uint64_t kNoIdleDeadline = ~std::uint64_t{0};
[[nodiscard]] bool tick_idle_stop(std::uint64_t deadline_ns);
// The longest a tickless idle CPU sleeps (default 1 s). The watchdog lowers it so that idle
// CPUs still look at the others often enough to report a stall within its bound. Any context.
void set_max_idle_sleep_ns(std::uint64_t ns);
// After the halt, or before the CPU switches to a thread: re-arms the periodic tick stopped by
// tick_idle_stop (nothing if it is not stopped). Idempotent.
void tick_idle_restart();
// Whether `cpu` has its tick stopped for idle right now (a relaxed hint for other CPUs: the
// watchdog, which must not take a tickless CPU for a stalled one, and the idle balancer).
bool tick_idle_stopped(std::uint32_t cpu);
// While `cpu` has its tick stopped for idle: when its one-shot is due (ktime::now_ns() time);
// else 0. A CPU that has taken no timer interrupt well past this is not idle but stuck (an
// interrupt handler that ended the halt and never returned, say): the watchdog's test.
std::uint64_t tick_idle_quiet_until(std::uint32_t cpu);
// How many times `cpu` stopped its tick for idle.
std::uint64_t tick_idle_stops(std::uint32_t cpu);

class [[nodiscard]] TimerClaim {
 public:
  TimerClaim() { claim_timer(); }
  ~TimerClaim() { release_timer(); }
  TimerClaim(const TimerClaim&) = delete;
  TimerClaim& operator=(const TimerClaim&) = delete;
};

}  // namespace ktime
