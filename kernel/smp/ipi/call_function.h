// Cross-CPU function calls (docs/locking.md, "Kernel: cross-CPU services"): run a function on
// one CPU, a CpuSet, or every online CPU but the caller, synchronously (wait, bounded, report on
// timeout) or asynchronously. Each CPU has a bounded request queue under an IRQ-saving
// `ipi-queue` lock (rank 50); a request is announced with a kCallFunction IPI only when the
// target's queue was empty (a non-empty queue already has its IPI under way or is being
// served). A CPU spinning with interrupts off serves its own queue from the lock library's
// spin-wait hook (platform::kernel::set_spin_wait_service), and every wait in this file serves
// it too, so two CPUs calling each other with interrupts off cannot deadlock.
#pragma once

#include <cstdint>

#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace smp {

// What a called function receives: copied into the target's queue, so it lives as long as the
// request (a timed-out synchronous caller may return before the target runs it).
struct CallArgs {
  void* ptr = nullptr;  // must outlive the request when used (static data, or a sync call)
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};
// Runs on the target with interrupts off, in interrupt context or inside a spin loop of the
// interrupted code: it must be short, must not block, must not make a synchronous call, and may
// take only leaf locks (rank above 50) or none.
using CallFunction = void (*)(const CallArgs& args);

enum class CallMode : std::uint8_t { kSync, kAsync };

// TCG with several vCPUs on a loaded host can take tens of milliseconds to deliver an IPI.
inline constexpr std::uint64_t kDefaultCallTimeoutNs = 1'000'000'000;

// Boot CPU, once, after every AP is online and before any call: installs the IPI handlers for
// kCallFunction, kTlbShootdown and kReschedule and the spin-wait service. Calls made before
// only run on the current CPU.
void init_call_service();
bool call_service_ready();

// Runs fn(args) on every CPU of `targets` that is online (the caller too when it is in the set:
// directly, with interrupts off). kSync: returns once all have returned, or reports (which
// CPUs had not, with their queue depth) and returns false after `timeout_ns`. kAsync: returns
// once queued; false when a queue stayed full until the deadline. Not from interrupt context
// or a called function when kSync. Takes each target's ipi-queue lock in turn (never two).
[[nodiscard]] bool call_on_cpus(const CpuSet& targets, CallFunction fn, CallArgs args,
                                CallMode mode, std::uint64_t timeout_ns = kDefaultCallTimeoutNs);
[[nodiscard]] bool call_on_cpu(platform::CpuNumber cpu, CallFunction fn, CallArgs args,
                               CallMode mode, std::uint64_t timeout_ns = kDefaultCallTimeoutNs);
[[nodiscard]] bool call_on_all_but_self(CallFunction fn, CallArgs args, CallMode mode,
                                        std::uint64_t timeout_ns = kDefaultCallTimeoutNs);

// Same protocol with the TLB-shootdown vector (tlb_shootdown.cc): the requests share the queue,
// the vector only says why the IPI came.
[[nodiscard]] bool call_on_cpus_with_vector(const CpuSet& targets, CallFunction fn, CallArgs args,
                                            CallMode mode, std::uint64_t timeout_ns,
                                            bool shootdown_vector);

// Runs the current CPU's pending requests. Interrupts off. Does nothing when this CPU is inside
// its own queue code (it may be spinning on a queue lock; serving would retake it).
void serve_call_queue();

// Statistics for tests and the bench: requests this CPU served, IPIs sent to it, and requests
// queued to it without an IPI because its queue was not empty.
struct CallQueueStats {
  std::uint64_t served;
  std::uint64_t ipis_sent;
  std::uint64_t ipis_skipped;
};
CallQueueStats call_queue_stats(platform::CpuNumber cpu);

// The online CPUs (a snapshot).
CpuSet online_cpus();

}  // namespace smp
