// Kernel-only controls of the kernel platform implementation (kernel/platform/
// platform_kernel.cc): boot-time setup that smp/ and sched/ never see.
#pragma once

#include <cstdint>

namespace platform::kernel {

enum class TscSource { kUnknown, kCpuid15, kCpuid16, kPit };

struct TscRate {
  std::uint64_t hz = 0;
  TscSource source = TscSource::kUnknown;
  const char* error = nullptr;  // why measuring failed (hz is then the documented fallback)
};

// Determines the TSC rate once: CPUID 0x15 (crystal ratio) when it names the crystal, else
// CPUID 0x16 (base frequency), else a PIT measurement. On failure cycles_per_second()
// returns kFallbackHz and the returned rate says why. Boot CPU, interrupts off.
TscRate calibrate_tsc();

// What cycles_per_second() returns if calibration failed: a deliberately low rate, so
// timeouts computed from it err on the long side rather than the short one.
inline constexpr std::uint64_t kFallbackHz = 1'000'000'000;

const char* tsc_source_name(TscSource source);

}  // namespace platform::kernel
