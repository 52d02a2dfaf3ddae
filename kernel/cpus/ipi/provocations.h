// Test-only provocations of the panic paths (command line, service_options.h). Each ends the
// kernel in a panic whose report the boot cases check (tests/boot/cases.py).
#pragma once

#include <cstdint>

namespace kcpus {

// Takes two unranked locks in one order, then in the other: lockdep reports the cycle with
// both sites (the kernel panics).
void provoke_lock_inversion();

// CPU `cpu` panics while the boot CPU spins with interrupts off (so the stop needs an NMI for
// it) and the other APs idle: the report must list every other CPU as stopped.
void provoke_panic_on_ap(std::uint32_t cpu);

}  // namespace kcpus
