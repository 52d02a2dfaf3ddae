// Kernel-only controls of the kernel platform implementation (kernel/platform/
// platform_kernel.cc): boot-time setup that smp/ and sched/ never see.
#pragma once

#include <cstdint>

namespace platform::kernel {

// What cycles_per_second() returns before ktime::init() has calibrated the TSC: a deliberately
// low rate, so timeouts computed from it err on the long side rather than the short one.
inline constexpr std::uint64_t kFallbackHz = 1'000'000'000;

// The SMP bring-up: how many logical CPU numbers exist (the boot CPU, the APs being started and
// those online; platform::cpu_count() returns it). Boot CPU, before any AP is started.
void set_cpu_count(std::uint32_t count);

// platform::virtual_cpus() from now on: on the boot CPU, before any AP is started.
void set_virtual_cpus(bool on);

}  // namespace platform::kernel
