// The scheduler that the blocking primitives (sched/sync/) block on: the one seam between them
// and whoever runs a scheduler, so that the kernel and the host tests use the same types.
//
// Installed at run time, as the bug handler is (sched/thread_state.h), not chosen at link time
// as the platform functions are: the kernel has one scheduler for its whole life and installs
// it before any thread runs (kernel/threads/kernel_scheduler.cc); a host test process builds
// one machine after another, and each installs its own scheduler for as long as it lives
// (tests/host/sched/host_machine.h holds a ScopedScheduler). One scheduler at a time.
#pragma once

#include <cstdint>

namespace sched {

class Scheduler;

// The installed scheduler. Needs: one is installed (the primitives are used only by its
// threads); none is a caller bug and traps, as an unhandled bug report does.
Scheduler& current_scheduler();

// The deadline `timeout_ns` from now on current_scheduler()'s clock (kNoDeadline when that
// would overflow): what the primitives' timed calls with a timeout wait until.
std::uint64_t deadline_after(std::uint64_t timeout_ns);

// Makes `s` (null: none) the scheduler of every later current_scheduler() call and returns the
// one it replaces. Needs: `s` outlives its installation; no primitive is in use meanwhile (the
// kernel installs once, before the threads; a host test before its CPUs start).
Scheduler* install_scheduler(Scheduler* s);

// Installs a scheduler for the lifetime of the object, then puts the previous one back.
class [[nodiscard]] ScopedScheduler {
 public:
  explicit ScopedScheduler(Scheduler& s) : previous_(install_scheduler(&s)) {}
  ~ScopedScheduler() { (void)install_scheduler(previous_); }
  ScopedScheduler(const ScopedScheduler&) = delete;
  ScopedScheduler& operator=(const ScopedScheduler&) = delete;

 private:
  Scheduler* previous_;
};

}  // namespace sched
