// Starting the application processors (docs/smp.md): per-CPU blocks and guarded stacks for
// every CPU in the topology, the trampoline, INIT-SIPI-SIPI to each target (in parallel waves,
// or one by one with smp=serial), a deadline per CPU, one retry, failure reports, the
// `smp: N of M CPUs online in X ms` report, and the release of the online CPUs.
#pragma once

#include <cstdint>

#include "acpi/topology.h"
#include "kernel/boot/boot_info.h"

namespace cmdline {
struct SmpOptions;
}

namespace kcpus {

struct BringupResult {
  std::uint32_t listed = 0;   // CPUs in the topology (the boot CPU included)
  std::uint32_t targets = 0;  // APs we tried to start (after maxcpus, with fake IDs)
  std::uint32_t online = 0;   // CPUs online, the boot CPU included
  std::uint32_t failed = 0;
  std::uint64_t elapsed_ns = 0;  // first INIT to last AP online
};

// Boot CPU, once, right after kinterrupts::init(): sends INIT to every other CPU, so each
// leaves the firmware's wait loop for wait-for-SIPI (docs/smp.md "AP start-up"). After
// ExitBootServices the firmware's loop is ours to end; an MWAIT loop is a busy loop under
// QEMU's TCG, so until then the APs take host CPU from the boot CPU.
void park_firmware_cpus();

// Boot CPU, once, interrupts off, after mm::init (heap, kernel tables), kinterrupts::init() and
// ktime::init() (the boot CPU's timer calibrated), with the kernel's topology (cpus[0] =
// the boot CPU). `options`: smp=, nosmp, maxcpus=, smp_fake_apic= (kernel/core/options.inc).
// The trampoline page must still be reserved (BootInfo.trampoline_page). Never fails the
// boot: CPUs that cannot be started are reported and left out; without a trampoline page, or
// with smp=off, only the boot CPU runs.
BringupResult start_secondary_cpus(const acpi::Topology& topology, const boot::BootInfo& info,
                                   const cmdline::SmpOptions& options);

}  // namespace kcpus
