// Interval timers (docs/user-space.md, "Timers"): alarm(2), setitimer(2) and getitimer(2).
// One of each kind per process: ITIMER_REAL counts monotonic time and sends SIGALRM (a kernel
// thread, "itimers", sleeps until the earliest deadline of every process); ITIMER_VIRTUAL
// counts the process's user time and sends SIGVTALRM, ITIMER_PROF its user and system time and
// sends SIGPROF (checked by its threads on their way to user mode, where the time is charged).
// A timer with an interval is re-armed by it after each expiry. fork's child has none; execve
// keeps them.
#pragma once

#include <cstdint>

#include "kernel/proc/process.h"

namespace kproc {

inline constexpr int kItimerReal = 0, kItimerVirtual = 1, kItimerProf = 2;

// A timer's setting: what is left until it expires (0: disarmed) and its period (0: once).
struct TimerSetting {
  std::uint64_t value_ns = 0;
  std::uint64_t interval_ns = 0;
};

// setitimer for `p`: arms (value nonzero) or disarms timer `which` and returns the setting it
// replaced in `*old`. False: `which` is not one of the three. Takes the tree lock.
bool set_timer(Process& p, int which, const TimerSetting& next, TimerSetting* old);

// getitimer: the current setting of `which` (an armed timer whose time is up but which has not
// fired yet shows 1 us left, as Linux). False: not one of the three. Takes the tree lock.
bool get_timer(Process& p, int which, TimerSetting* out);

// Sends SIGVTALRM / SIGPROF to the caller's process when its CPU timers have expired, and
// re-arms or disarms them. From the return to user mode, after the time is charged.
void check_cpu_timers(UserThread& t);

// Starts the "itimers" kernel thread. Once, from kproc::init.
void start_timer_thread();

}  // namespace kproc
