// Start-up of the cross-CPU services (call function, reschedule, TLB shootdown, panic stop,
// stall watchdog) and the command-line actions that exercise them (service_options.h).
#pragma once

namespace cmdline {
struct ServiceOptions;
}

namespace kcpus {

// Boot CPU, once, right after kcpus::start_secondary_cpus(), with the parsed options
// (kernel/core/options.inc): keeps them (service_options()), starts the call service, puts every
// online CPU in the kernel's TLB set, arms the panic stop and (when asked) the watchdog.
void init_cross_cpu_services(const cmdline::ServiceOptions& options);

// Boot CPU, after the banner: the test-only provocations (stall=, panic_on_ap=, lockdep_test=).
// Each either ends the kernel (panic) or returns after printing its outcome.
void run_test_provocations();

}  // namespace kcpus
