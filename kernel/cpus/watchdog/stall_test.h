// Test-only stall provocations (`stall=irqoff|lock`, kernel/cpus/ipi/service_options.h).
#pragma once

#include "kernel/cpus/ipi/service_options.h"

namespace watchdog {

// irqoff: the highest online AP spins with interrupts off for 2.5 bounds; the boot CPU waits
// with interrupts on (watched, so its tick runs the check) until the watchdog reports it, then
// prints "watchdog test: stall of cpu N reported" or that it was not.
// lock: that AP holds a lock with interrupts off for 3 bounds; the boot CPU takes it and the
// lock library's spin limit reports the stall (a panic naming the lock and its holder).
void provoke_stall(kcpus::StallTest kind);

}  // namespace watchdog
