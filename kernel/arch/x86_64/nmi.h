// The NMI hook: lets the kernel claim an NMI (the panic stop's "stop now", which must reach a
// CPU that has interrupts off) before exception.cc reports it as unexpected.
#pragma once

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace arch {

// Runs on the NMI's IST stack; returns true when it handled the NMI (it may also not return).
using NmiHook = bool (*)(InterruptFrame& frame);
// One hook (nullptr: none). Release-published.
void set_nmi_hook(NmiHook hook);
// exception.cc: true when the hook claimed the NMI.
bool run_nmi_hook(InterruptFrame& frame);

}  // namespace arch
