// The SMP words of the kernel command line. Pure (host-tested in tests/host/bringup/):
//   smp=parallel   start all APs of a wave together (the default)
//   smp=serial     start them one at a time (for the bring-up benchmark)
//   smp=off, nosmp boot CPU only
//   maxcpus=N      at most N CPUs in total, the boot CPU included (N >= 1)
//   smp_fake_apic=ID   test only: add a target with this APIC ID that no CPU answers to
//                      (up to kMaxFakeApics of them); it must be reported failed
// Other words are ignored (they belong to cmdline::parse); a malformed SMP word is reported.
#pragma once

#include <cstdint>

#include "smp/klib/format.h"

namespace smp {

enum class StartMode : std::uint8_t { kParallel, kSerial, kOff };

inline constexpr std::uint32_t kMaxFakeApics = 4;
inline constexpr std::uint32_t kNoCpuLimit = 0xFFFFFFFF;

struct SmpOptions {
  StartMode mode = StartMode::kParallel;
  std::uint32_t max_cpus = kNoCpuLimit;
  std::uint32_t fake_apic_ids[kMaxFakeApics] = {};
  std::uint32_t fake_apic_count = 0;
  // The first malformed SMP word (empty if none), for a warning.
  fmt::StringView problem;
};

SmpOptions parse_smp_options(fmt::StringView cmdline);

const char* start_mode_name(StartMode mode);

}  // namespace smp
