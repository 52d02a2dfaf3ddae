// Kernel-only controls of the locking part of the platform (kernel/platform/locking_kernel.cc):
// what the interrupt dispatcher and the cross-CPU call service call; smp/ never sees these.
#pragma once

namespace platform::kernel {

// Called by the interrupt dispatcher around every handler (interrupts are off in between):
// in_interrupt() is true from irq_enter() to the matching irq_exit(). Nests.
void irq_enter();
void irq_exit();

// The function spin_wait_hook() runs while a CPU spins with interrupts disabled: the
// cross-CPU call service's "run my pending requests" (TLB shootdowns, call-function IPIs).
// Installed once, when that service is up; until then spinning with interrupts off serves
// nothing, which is correct while only one CPU runs. nullptr uninstalls.
using SpinWaitService = void (*)();
void set_spin_wait_service(SpinWaitService service);

}  // namespace platform::kernel
