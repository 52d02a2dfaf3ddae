// Host-only controls of the host platform (tests and benchmarks): which CPU a thread plays,
// interrupt context, the cross-CPU service run while spinning, and lock-violation reports.
#pragma once

#include "smp/platform/platform.h"

namespace platform::host {

// Sets how many CPUs cpu_count() reports.
void set_cpu_count(std::uint32_t count);
// Makes the calling host thread play CPU `cpu` from now on.
void bind_cpu(CpuNumber cpu);

// Marks the calling thread as running an interrupt handler until the matching irq_exit()
// (nests). Interrupts are disabled inside, as on the machine.
void irq_enter();
void irq_exit();

// The stand-in for "serve pending cross-CPU calls": spin_wait_hook() calls `service(context)`
// on every spin iteration of a thread that spins with interrupts disabled. nullptr removes it.
using SpinService = void (*)(void* context);
void set_spin_wait_service(SpinService service, void* context);

// platform::virtual_cpus() from now on (tests of both spinlock modes; default false).
void set_virtual_cpus(bool on);

// Where lock_violation() reports go. nullptr restores the default: print to stderr and abort.
// The handler may run on any thread; it is called with the violating thread's state intact and
// the acquisition continues when it returns.
using LockViolationHandler = void (*)(const LockViolation& violation, void* context);
void set_lock_violation_handler(LockViolationHandler handler, void* context);

// Host threads are not CPUs: more of them than cores means a lock holder may be descheduled
// while others spin. Every kYieldEvery spin iterations a spinning thread yields its core, the
// host's stand-in for a paravirtualised lock's "halt until kicked" (docs/locking.md).
inline constexpr std::uint32_t kYieldEvery = 128;

}  // namespace platform::host
