// Sleeping for a duration, over the scheduler core's per-CPU timer queues (sched/timer_queue.h,
// one per runqueue): a sleeper arms a timer on the CPU it runs on and blocks under that
// queue's lock; the CPU's tick (Scheduler::tick, and expire_sleepers below) unlinks it and wakes
// it under the same lock, so the wake-up cannot be lost (docs/scheduling.md, "Timed waits").
// Resolution: one tick.
#pragma once

#include <cstdint>

namespace kthreads {

// Boot CPU, once, from start_boot_cpu, before the scheduler is built: the queues live in the
// runqueues, so there is nothing to allocate; records the CPU count for sleepers_on(). True.
[[nodiscard]] bool init_sleep_queues(std::uint32_t cpus);

// Blocks the current thread until ktime::now_ns() >= deadline (returns at once if it
// already is). Needs a schedulable context: a kernel thread, preemption enabled, no lock held.
void sleep_until(std::uint64_t deadline_ns);
void sleep_for(std::uint64_t ns);

// From the tick, interrupts off: wakes this CPU's sleepers and timed waiters whose deadline has
// passed (Scheduler::tick already does; a second call finds nothing more). Takes this CPU's
// timer-queue lock, then (inside) runqueue locks.
void expire_sleepers();

// Timers (sleepers and timed waiters) queued on `cpu` (diagnostics and tests).
std::uint32_t sleepers_on(std::uint32_t cpu);

}  // namespace kthreads
