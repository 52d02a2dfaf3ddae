// The values of the AP bring-up options (smp=, nosmp, maxcpus=, smp_fake_apic=). The options
// themselves are rows of kernel/core/options.inc; bring-up gets them parsed, as
// cmdline::SmpOptions (kernel/core/options.h).
#pragma once

#include <cstdint>

namespace kcpus {

// smp=parallel (all APs of a wave together, the default), smp=serial (one at a time, for the
// bring-up benchmark), smp=off / nosmp (the boot CPU only).
enum class StartMode : std::uint8_t { kParallel, kSerial, kOff };

struct StartModeName {
  const char* name;
  StartMode value;
};
// The names smp= takes (the command line's only list of them).
inline constexpr StartModeName kStartModeNames[] = {
    {"parallel", StartMode::kParallel},
    {"serial", StartMode::kSerial},
    {"off", StartMode::kOff},
};

// smp_fake_apic=ID (test only) may be given this many times.
inline constexpr std::uint32_t kMaxFakeApics = 4;
// What bring-up takes as the CPU limit when maxcpus= is not given.
inline constexpr std::uint32_t kNoCpuLimit = 0xFFFFFFFF;

// "parallel", "serial" or "off", as smp= takes them.
const char* start_mode_name(StartMode mode);

}  // namespace kcpus
