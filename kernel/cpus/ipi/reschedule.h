// The reschedule IPI: "run your scheduler soon". The sending side lives here; what the target
// does is the scheduler's (kernel/threads), installed with set_reschedule_hook.
#pragma once

#include "smp/platform/platform.h"

namespace kcpus {

// Called on the target CPU from the kReschedule interrupt, interrupts off.
using RescheduleHook = void (*)();
// Installs the scheduler's hook (nullptr: the IPI only wakes the CPU). Release-published.
void set_reschedule_hook(RescheduleHook hook);

// Asks `cpu` (online; may be the caller) to reschedule. No IPI when one is already pending for
// it and its handler has not yet run (the flag is cleared by the handler before the hook runs,
// so a request made during the hook sends a new IPI). Callable from any context.
void send_reschedule(platform::CpuNumber cpu);

// Installed by init_call_service(): the kReschedule handler.
void init_reschedule_ipi();

// Reschedule IPIs `cpu` has taken / senders skipped because one was pending.
std::uint64_t reschedule_ipis_taken(platform::CpuNumber cpu);
std::uint64_t reschedule_ipis_skipped(platform::CpuNumber cpu);

}  // namespace kcpus
