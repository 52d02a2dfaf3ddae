// Interrupt vectors 32..255: IDT gates for their entry stubs (interrupt_stubs.S) and the
// dispatcher that calls a handler per vector and then signals end of interrupt. Exceptions stay
// with kernel/arch/x86_64/exception.cc.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/vectors.h"

namespace kinterrupts {

// Runs with interrupts off on the CPU that took the interrupt; must not block. The dispatcher
// sends the local APIC EOI after it returns (never for the spurious vector).
using InterruptHandler = void (*)(arch::InterruptFrame& frame);

// Boot CPU, once, after arch::init_boot_cpu_tables() (the IDT exists) and before interrupts are
// enabled: fills the present gates for vectors 32..255 in the shared IDT. APs load the same
// IDT, so they see them too.
void install_interrupt_gates();

// Sets the handler for `v` (replacing any). Before the vector can fire; publication is a
// release store, so a CPU taking the interrupt later sees the handler.
void set_handler(arch::Vector v, InterruptHandler handler);

// Counts, over all CPUs: interrupts taken per vector (spurious ones included), and those that
// arrived with no handler.
std::uint64_t interrupt_count(arch::Vector v);
std::uint64_t unhandled_count();

}  // namespace kinterrupts
