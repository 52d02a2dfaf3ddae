// Host-only controls of the host platform (tests and benchmarks): which CPU a thread plays.
#pragma once

#include "smp/platform/platform.h"

namespace platform::host {

// Sets how many CPUs cpu_count() reports.
void set_cpu_count(std::uint32_t count);
// Makes the calling host thread play CPU `cpu` from now on.
void bind_cpu(CpuNumber cpu);

}  // namespace platform::host
