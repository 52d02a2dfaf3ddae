// The report of an exception nobody expected: vector, registers, the page-fault error decoded,
// a backtrace, then a panic. Installed as arch's unhandled-exception handler (exception.h).
#pragma once

namespace kpanic {

// Installs the report for every CPU. Call before the boot CPU loads its IDT.
void install_crash_report();

}  // namespace kpanic
