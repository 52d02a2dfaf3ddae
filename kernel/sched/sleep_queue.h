// Sleeping for a duration: a per-CPU queue of sleepers sorted by deadline, expired by that
// CPU's scheduler tick (kernel/sched/kernel_scheduler.cc). A sleeper links itself on the queue
// of the CPU it runs on and blocks under that queue's lock; the tick unlinks it and wakes it
// under the same lock, so the wake-up cannot be lost (the WaitQueue protocol of
// docs/scheduling.md with "deadline passed" as the condition). Resolution: one tick.
#pragma once

#include <cstdint>

namespace ksched {

// Boot CPU, once, from start_boot_cpu: one queue per CPU. False when memory ran out.
[[nodiscard]] bool init_sleep_queues(std::uint32_t cpus);

// Blocks the current thread until ktime::now_ns() >= deadline_ns (returns at once if it
// already is). Needs a schedulable context: a kernel thread, preemption enabled, no lock held.
void sleep_until(std::uint64_t deadline_ns);
void sleep_for(std::uint64_t ns);

// From the tick, interrupts off: wakes this CPU's sleepers whose deadline has passed.
// Takes this CPU's sleep-queue lock, then (inside) runqueue locks.
void expire_sleepers();

// Sleepers queued on `cpu` (diagnostics and tests).
std::uint32_t sleepers_on(std::uint32_t cpu);

}  // namespace ksched
