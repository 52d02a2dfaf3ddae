// CallService: cross-CPU function calls (docs/locking.md, "cross-CPU services"): run a function
// on one CPU, a CpuSet, or every online CPU but the caller, synchronously (wait, bounded by a
// deadline) or asynchronously. Each CPU has a bounded CallQueue; a request is announced with an
// IPI (platform::send_ipi) only when the target's queue was empty. A synchronous caller's CPU
// keeps a completion word, (ticket << 32) | CPUs still to run it; a target counts it down only
// when the ticket matches, so a request that outlives a timed-out call cannot touch the next.
// Every wait here serves the caller's own queue, and the owner installs serve() as the spin-wait
// service, so two CPUs calling each other with interrupts off cannot deadlock.
//
// The service owns no memory: its owner passes one CpuCalls per CPU number (the kernel allocates
// them for platform::cpu_count() CPUs at boot; host tests use a vector). It never reports: a
// CallOutcome tells the owner what went wrong, and the owner logs or panics.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/calls/call_queue.h"
#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace smp {

enum class CallMode : std::uint8_t { kSync, kAsync };

// TCG with several vCPUs on a loaded host can take tens of milliseconds to deliver an IPI.
inline constexpr std::uint64_t kDefaultCallTimeoutNs = 1'000'000'000;

enum class CallError : std::uint8_t {
  kNone,
  kQueueFull,      // some target's queue stayed full until the deadline (see CallOutcome::full)
  kTimedOut,       // sync: some targets had not run it at the deadline
  kFromInterrupt,  // sync call from interrupt context: refused, nothing queued
  kNested,         // sync call while this CPU already waits for one: refused, nothing queued
  kCallerUnknown,  // sync call from a CPU that has no state here: refused, nothing queued
  kNotOnline,      // call_on_cpu: the target is not online (or has no state here)
};

// What a call did. `queued`: the remote CPUs that got the request; `full`: those whose queue
// stayed full (never got it); `missing`: sync, how many of `queued` had not run it when the
// caller gave up (0 on success).
struct CallOutcome {
  CallError error = CallError::kNone;
  CpuSet queued;
  CpuSet full;
  std::uint32_t missing = 0;
  bool ok() const { return error == CallError::kNone; }
};

// Counters of one CPU, for tests and the bench.
struct CallQueueStats {
  std::uint64_t served;        // requests this CPU ran from its queue
  std::uint64_t ipis_sent;     // IPIs sent to it
  std::uint64_t ipis_skipped;  // requests queued to it without an IPI (queue not empty)
};

// One CPU's state. Only the service touches it; its owner only provides the storage.
struct alignas(64) CpuCalls {
  CallQueue queue;
  // The completion word of this CPU's synchronous call, written by its targets (an
  // smp::Atomic: its order against the targets' count-downs is what the explorer varies).
  alignas(64) Atomic<std::uint64_t> completion{0};
  // Touched only by this CPU with interrupts off (or preemption off, for the sender side).
  std::uint32_t next_ticket = 1;
  bool waiting = false;          // a sync call is under way on this CPU (nesting is refused)
  std::uint32_t in_queue_code = 0;  // non-zero while this CPU pushes or pops: serve() must not
                                    // re-enter (it could spin on a queue lock it is taking)
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> ipis_sent{0};
  std::atomic<std::uint64_t> ipis_skipped{0};
  std::atomic<std::uint64_t> tlb_page_flushes{0};  // smp/calls/tlb_shootdown.cc
  std::atomic<std::uint64_t> tlb_full_flushes{0};
};

class CallService {
 public:
  // `cpus[i]` is CPU i's state for i < count; CPUs at or above `count` are never targets.
  // The storage must outlive the service and be used by no other.
  CallService(CpuCalls* cpus, std::uint32_t count) : cpus_(cpus), count_(count) {}
  CallService(const CallService&) = delete;
  CallService& operator=(const CallService&) = delete;

  // Runs fn(args) on every CPU of `targets` that is online (platform::cpu_is_online) and has
  // state; on the caller too when it is in the set (directly, with interrupts off, after the
  // remote requests were queued). kSync: returns once all have returned, or with kTimedOut
  // after `timeout_ns`. kAsync: returns once queued. kQueueFull for the targets whose queue
  // stayed full until the deadline (the others still get it). Sync calls are refused from
  // interrupt context and while this CPU waits for another sync call. Takes each target's
  // ipi-queue lock in turn (never two), with preemption off throughout, so "the caller" is one
  // CPU from the first decision to the return.
  [[nodiscard]] CallOutcome call(const CpuSet& targets, CallFunction fn, CallArgs args,
                                 CallMode mode, std::uint64_t timeout_ns = kDefaultCallTimeoutNs,
                                 platform::IpiKind kind = platform::IpiKind::kCallFunction);
  [[nodiscard]] CallOutcome call_on_cpu(platform::CpuNumber cpu, CallFunction fn, CallArgs args,
                                        CallMode mode,
                                        std::uint64_t timeout_ns = kDefaultCallTimeoutNs);
  // Every online CPU but the caller (decided with preemption off).
  [[nodiscard]] CallOutcome call_on_all_but_self(CallFunction fn, CallArgs args, CallMode mode,
                                                 std::uint64_t timeout_ns = kDefaultCallTimeoutNs);

  // Runs the current CPU's pending requests. Interrupts off: this is the IPI handler's body and
  // the spin-wait service. Does nothing when this CPU is inside its own queue code.
  void serve();

  // The online CPUs that have state here (a snapshot).
  CpuSet online_cpus() const;
  std::uint32_t cpu_count() const { return count_; }
  // Requests queued on `cpu` now (0 for a CPU without state).
  std::uint32_t pending(platform::CpuNumber cpu) const;
  CallQueueStats stats(platform::CpuNumber cpu) const;
  // The state of `cpu` (< cpu_count()), for the TLB shootdown's counters.
  CpuCalls& cpu(platform::CpuNumber cpu) { return cpus_[platform::to_index(cpu)]; }
  const CpuCalls& cpu(platform::CpuNumber cpu) const { return cpus_[platform::to_index(cpu)]; }

 private:
  bool has(platform::CpuNumber cpu) const { return platform::to_index(cpu) < count_; }
  void complete(std::uint32_t sender, std::uint32_t ticket);
  // One attempt to queue `call` on `cpu` (after serving our own queue); sends the IPI when the
  // queue was empty. False when the queue is full.
  [[nodiscard]] bool try_queue(platform::CpuNumber cpu, const QueuedCall& call,
                               platform::IpiKind kind);

  CpuCalls* const cpus_;
  const std::uint32_t count_;
};

}  // namespace smp
