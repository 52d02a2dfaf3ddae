// Which CPUs the bring-up starts: the topology's listed APs in logical order, cut by maxcpus= and
// by the kernel's CPU limit (smp::kMaxCpus: smp::CpuSet, the per-CPU tables of the APIC and timer
// code), then the test-only fake targets while room remains. Every CPU left out is counted so
// the boot can report it; none is numbered at or above the limit. Pure: host-tested in
// tests/host/bringup/.
#pragma once

#include <cstdint>

namespace kcpus::bringup {

struct TargetPlan {
  std::uint32_t listed_aps = 0;    // APs to start: logical numbers 1..listed_aps
  std::uint32_t fake = 0;          // smp_fake_apic targets after them
  std::uint32_t by_maxcpus = 0;    // listed APs left out by maxcpus=
  std::uint32_t beyond_limit = 0;  // listed APs left out: their number would be >= cpu_limit
  std::uint32_t fake_refused = 0;  // fake targets with no number left below cpu_limit
  // CPU numbers in use: the boot CPU and every target; never above cpu_limit.
  std::uint32_t total() const { return 1 + listed_aps + fake; }
};

// `listed`: CPUs of the topology, the boot CPU included (>= 1; 0 is taken as 1). `max_cpus`:
// the maxcpus= value or kNoCpuLimit (0 is taken as 1). `cpu_limit`: the number of CPU numbers
// the kernel has room for (smp::kMaxCpus; >= 1).
TargetPlan plan_targets(std::uint32_t listed, std::uint32_t max_cpus, std::uint32_t fake_count,
                        std::uint32_t cpu_limit);

}  // namespace kcpus::bringup
