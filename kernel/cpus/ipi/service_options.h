// Command-line switches of the cross-CPU services, their diagnostics and their test-only
// provocations (kernel/core/cmdline.cc accepts the keys; this file reads their values):
//   lockstat                 print the lock-class table when the kernel stops
//   watchdog                 run the stall watchdog (kernel/cpus/watchdog/)
//   stall=irqoff|lock        test only: provoke a stall the watchdog / spin limit must report
//   panic_on_ap=N            test only: CPU N (an AP) panics after boot
//   lockdep_test=inversion   test only: take two locks in both orders; lockdep must panic
//   bench                    run the in-kernel IPI benchmarks (kernel/cpus/ipi/ipi_bench.cc) and stop
#pragma once

#include <cstdint>

#include "smp/klib/format.h"

namespace smp {

enum class StallTest : std::uint8_t { kNone, kIrqOff, kLock };

struct ServiceOptions {
  bool lockstat = false;
  bool watchdog = false;
  StallTest stall = StallTest::kNone;
  std::uint32_t panic_on_ap = 0;  // 0: off
  bool lockdep_inversion = false;
  bool bench = false;
};

// Parses `cmdline` (malformed values are reported with klog::warn and ignored).
ServiceOptions parse_service_options(fmt::StringView cmdline);
// The options the kernel booted with (set by init_cross_cpu_services).
const ServiceOptions& service_options();

// Prints the lock-class table to the raw consoles when `lockstat` was given (test end, power
// off, panic). Takes no lock.
void print_lockstat_if_requested();

}  // namespace smp
