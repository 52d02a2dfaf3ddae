// The options of the cross-CPU services, their diagnostics and their test-only provocations
// (lockstat, watchdog, bench, stall=, panic_on_ap=, lockdep_test=). The options are rows of
// kernel/core/options.inc; init_cross_cpu_services gets them parsed, as cmdline::ServiceOptions
// (kernel/core/options.h), and keeps them here.
#pragma once

#include <cstdint>

namespace cmdline {
struct ServiceOptions;
}

namespace kcpus {

// stall=irqoff|lock (test only): which stall to provoke.
enum class StallTest : std::uint8_t { kNone, kIrqOff, kLock };

// The options the kernel booted with (all off until init_cross_cpu_services sets them).
const cmdline::ServiceOptions& service_options();

// Prints the lock-class table to the raw consoles when `lockstat` was given (test end, power
// off, panic). Takes no lock.
void print_lockstat_if_requested();

}  // namespace kcpus
