// The kernel's instance of the scheduler core (sched/scheduler.h): one RunQueue and one idle
// thread per CPU, the hooks that reach the hardware (reschedule IPI, sti;hlt, the GS current
// thread), the timer tick, and the two preemption points (interrupt return, preempt_enable).
// It mirrors tests/host/sched/host_machine.{h,cc}, with CPUs instead of host threads.
//
// Start-up (docs/scheduling.md, "In the kernel"): kernel_main calls request() before the APs
// are released unless the command line opts out (`nosched`, `sched=off`); each AP, once
// released, waits (bounded, serving cross-CPU calls) for the boot CPU's start_boot_cpu() to
// publish the runqueues, then enters its idle loop. The boot CPU's own boot context becomes
// CPU 0's idle thread and the rest of kernel_main continues in a kernel thread pinned to CPU 0,
// which first waits (bounded) for every online CPU to have entered (wait_for_cpus).
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/percpu.h"
#include "sched/scheduler.h"

namespace kthreads {

// The scheduler's tick: the LAPIC timer fires periodically at this interval on every CPU that
// runs the scheduler.
inline constexpr std::uint64_t kTickNs = 1'000'000;

// Boot CPU, before kcpus::start_secondary_cpus: the APs will enter the scheduler after release.
void request();
bool requested();

// Tickless idle (docs/scheduling.md, "Tickless idle"): an idle CPU stops its periodic tick and
// sleeps until its next timer event (on by default; `nohz=off` turns it off). Boot CPU, before
// start_boot_cpu.
void set_tickless_idle(bool on);
bool tickless_idle();

// Boot CPU, after the bring-up: builds the runqueues for platform::cpu_count() CPUs, makes the
// boot context CPU 0's idle thread, starts `main(arg)` as a kernel thread pinned to CPU 0,
// starts the tick and runs the idle loop. Panics if memory for the runqueues is missing.
[[noreturn]] void start_boot_cpu(void (*main)(void*), void* arg);

// An AP after its release (kernel/cpus/ap_entry.cc), interrupts off: enters the scheduler's idle
// loop, or returns false if the scheduler was not requested or the boot CPU did not publish it
// within its deadline (the caller then falls back to its own idle loop). Serves the CPU's
// cross-CPU call queue while it waits.
bool enter_on_ap();

// Thread context (the main thread, right after start_boot_cpu): waits until every online CPU
// has entered the scheduler, at most `timeout_ns`, sleeping a tick between checks. Logs the
// outcome either way (on timeout, the CPU numbers that had not entered); true when all had.
bool wait_for_cpus(std::uint64_t timeout_ns);

// Runs on the switching CPU, interrupts off, just before every switch to `to` (after this CPU's
// current pointer names it): the user layer loads the thread's address space, kernel entry
// stack and TLS base there. One hook; install it before the first user thread.
using SwitchHook = void (*)(sched::Thread* from, sched::Thread* to);
void set_switch_hook(SwitchHook hook);

// Whether the scheduler runs (some CPU entered it).
bool running();
sched::Scheduler& scheduler();

// The running thread (null when this CPU is not in the scheduler). One GS-relative load; a
// thread asking for itself gets itself wherever it runs. Inline: every system call asks.
inline sched::Thread* current() { return static_cast<sched::Thread*>(arch::current_thread_raw()); }

// A preemption point for thread context: switches now if this CPU's need_resched is set and
// preemption is allowed. Called after wake-ups, whose runqueue locks restore interrupts only
// after dropping the preemption count (so preempt_enable could not act on them).
void preempt_point();
// Whether this CPU's need_resched is set (a switch is due). Interrupts off.
bool need_resched_here();

// CPUs served by the scheduler and the number of them online in it.
std::uint32_t cpu_count();
std::uint32_t online_cpu_count();

// The n-th CPU (from 0, ascending) online in the scheduler, as an index (the tests use it
// for arrays and CpuSet::only), or to_index(sched::kNoCpu) when fewer are. CPU numbers have
// holes when a CPU failed to start: code that spreads work over the online CPUs (the tests)
// picks them through this, never as 0..online_cpu_count()-1.
inline std::uint32_t nth_online_cpu(std::uint32_t n) {
  for (std::uint32_t c = 0; c < cpu_count(); ++c) {
    // Acquire: as Scheduler::usable; a runqueue seen online is initialised.
    if (scheduler().runqueue(platform::CpuNumber{c}).online.load(std::memory_order_acquire) &&
        n-- == 0) {
      return c;
    }
  }
  return platform::to_index(sched::kNoCpu);
}
// The highest-numbered CPU online in the scheduler, as an index (0 when only the boot CPU is).
inline std::uint32_t last_online_cpu() {
  const std::uint32_t n = online_cpu_count();
  const std::uint32_t c = n == 0 ? platform::to_index(sched::kNoCpu) : nth_online_cpu(n - 1);
  return c == platform::to_index(sched::kNoCpu) ? 0 : c;
}

}  // namespace kthreads
