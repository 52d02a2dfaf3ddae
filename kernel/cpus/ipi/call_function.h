// The kernel's cross-CPU call service: the protocol is the dual-built library smp/calls/
// (smp::CallService; docs/locking.md, "cross-CPU services"); this glue owns the kernel's one
// instance, installs its IPI handlers (kCallFunction, kTlbShootdown vectors) and the spin-wait
// service, and reports failures (klog, panic). The free functions below are what the rest of
// the kernel calls.
#pragma once

#include <cstdint>

#include "smp/calls/call_service.h"
#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace kcpus {

// Boot CPU, once, after every AP is online and before any call: allocates the per-CPU queues
// for platform::cpu_count() CPUs, installs the IPI handlers for kCallFunction, kTlbShootdown
// and kReschedule and the spin-wait service. Calls made before only run on the current CPU.
void init_call_service();
bool call_service_ready();
// The kernel's instance, or nullptr before init_call_service().
smp::CallService* call_service();

// Runs fn(args) on every CPU of `targets` that is online (the caller too when it is in the set:
// directly, with interrupts off). kSync: returns once all have returned, or reports (which
// CPUs had not, with their queue depth) and returns false after `timeout_ns`. kAsync: returns
// once queued; false when a queue stayed full until the deadline. A sync call from interrupt
// context or nested inside another panics. Takes each target's ipi-queue lock in turn.
[[nodiscard]] bool call_on_cpus(const smp::CpuSet& targets, smp::CallFunction fn, smp::CallArgs args,
                                smp::CallMode mode, std::uint64_t timeout_ns = smp::kDefaultCallTimeoutNs);
[[nodiscard]] bool call_on_cpu(platform::CpuNumber cpu, smp::CallFunction fn, smp::CallArgs args,
                               smp::CallMode mode, std::uint64_t timeout_ns = smp::kDefaultCallTimeoutNs);
[[nodiscard]] bool call_on_all_but_self(smp::CallFunction fn, smp::CallArgs args, smp::CallMode mode,
                                        std::uint64_t timeout_ns = smp::kDefaultCallTimeoutNs);

// Reports a failed call of the kernel's service (what smp::CallOutcome says, with each queued
// CPU's queue depth and timer ticks) and returns outcome.ok(); panics for the refused kinds
// (sync from interrupt context, nested sync call). `what` names the caller in the report.
bool report_call_outcome(const smp::CallOutcome& outcome, const char* what, std::uint64_t timeout_ns);

// Runs the current CPU's pending requests. Interrupts off (or not: it disables them). Does
// nothing before init_call_service() or when this CPU is inside its own queue code.
void serve_call_queue();

// Counters of `cpu` (zeros before init_call_service()).
smp::CallQueueStats call_queue_stats(platform::CpuNumber cpu);

// The online CPUs (a snapshot).
smp::CpuSet online_cpus();

}  // namespace kcpus
