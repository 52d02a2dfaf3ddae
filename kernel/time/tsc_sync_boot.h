// The TSC synchronisation check at SMP bring-up (kernel/time/tsc_sync.h for the method): each
// online AP's TSC against the boot CPU's, corrected through IA32_TSC_ADJUST where the CPU has
// it, otherwise (or if it still warps) now_ns() is made monotonic across CPUs (clock.h).
#pragma once

#include <cstdint>

namespace ktime {

// Boot CPU, after the APs are online and before they are released (they must be calling
// serve_tsc_sync). Checks every CPU 1..cpu_count-1 for which online(ctx, cpu) is true, one at a
// time: a 2 ms window each, every wait bounded (100 ms for an AP to answer). Reports the largest
// warp per CPU at debug level, a warning for every CPU that disagreed, what was done about it,
// and one summary line (`tsc: sync check: N CPUs in X ms, ...`).
void check_tsc_sync(std::uint32_t cpu_count, bool (*online)(const void* ctx, std::uint32_t cpu),
                    const void* ctx);

// AP `cpu`, while it waits to be released: takes part in a check the boot CPU asks it for, if
// any (returns at once otherwise). Interrupts off.
void serve_tsc_sync(std::uint32_t cpu);

}  // namespace ktime
