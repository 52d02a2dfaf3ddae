// Exceptions nobody expected: the arch layer hands the frame to a handler the kernel installs
// (kernel/core/crash_report.h reports it and panics). Expected faults (fault_recovery.h) and
// claimed NMIs (nmi.h) never reach it.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace arch {

// Runs with interrupts off on the faulting CPU; `cr2` was read before anything else could
// fault. It should not return; if it does, or none is installed, the CPU halts for good.
using UnhandledExceptionHandler = void (*)(const InterruptFrame& frame, std::uint64_t cr2);

// One handler (nullptr: none). Release-published; install it before the IDT is loaded.
void set_unhandled_exception_handler(UnhandledExceptionHandler handler);

}  // namespace arch
