// The TSC synchronisation check at SMP bring-up (kernel/time/tsc_sync.h for the method): each
// online AP's TSC against the boot CPU's, corrected through IA32_TSC_ADJUST where the CPU has
// it, otherwise (or if it still warps) now_ns() is made monotonic across CPUs (clock.h).
#pragma once

#include <cstdint>

namespace ktime {

// What the TSC check needs to know of the CPUs (the bring-up fills it in). CPU 0 is the boot CPU.
struct TscSyncCpus {
  std::uint32_t count = 0;  // CPUs 0..count-1
  const void* ctx = nullptr;
  bool (*online)(const void* ctx, std::uint32_t cpu) = nullptr;
  std::uint32_t (*apic_id)(const void* ctx, std::uint32_t cpu) = nullptr;
  // Ends the halt of an AP waiting in serve_tsc_sync's loop (after a round is posted for it).
  void (*wake)(const void* ctx, std::uint32_t cpu) = nullptr;
};

// Boot CPU, after the APs are online and before they are released (they must be calling
// serve_tsc_sync, halting in between). Checks every CPU 1..count-1 for which online() is true,
// one at a time, waking it for each round: 1000 hand-overs each way, or a window of 2 ms for a
// CPU in the boot CPU's package (by the APIC ID's package bits, CPUID 0x1F/0xB/1), 20 ms for
// one in another package (Linux's limits); every wait bounded (100 ms for an AP to answer).
// Reports the largest warp per CPU at debug level, a warning for every CPU that disagreed, what
// was done about it, and one summary line (`tsc: sync check: N CPUs in X ms, ...`).
void check_tsc_sync(const TscSyncCpus& cpus);

// AP `cpu`, while it waits to be released: takes part in a round the boot CPU has posted for
// it, if any, and returns true; returns false at once otherwise (then it may halt until woken).
// Interrupts off.
bool serve_tsc_sync(std::uint32_t cpu);

}  // namespace ktime
