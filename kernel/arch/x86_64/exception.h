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

// Page faults the kernel may resolve (a page not yet populated, later copy-on-write): asked for
// every #PF from user mode and from a user-copy routine (user_copy.h), before anything else.
// Returns true when the access can be retried. Runs with interrupts off; it may enable them
// (and sleep) when frame.rflags had IF set, and must return with them off.
using PageFaultHandler = bool (*)(InterruptFrame& frame, std::uint64_t cr2);
// Exceptions from user mode nobody resolved (a bad access, #UD, #GP, #DE...): the kernel ends
// the thread's process with a report (or, later, delivers a signal). Returns only if the
// thread may go on (the frame then says where).
using UserExceptionHandler = void (*)(InterruptFrame& frame, std::uint64_t cr2);
// Installed once by the kernel before the first user thread (release-published).
void set_user_fault_handlers(PageFaultHandler page_fault, UserExceptionHandler user_exception);

}  // namespace arch
