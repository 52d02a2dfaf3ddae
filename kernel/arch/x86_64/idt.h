// The interrupt descriptor table, shared by all CPUs: gates for the 32 exceptions, with the
// double fault, NMI and machine check on their own IST stacks.
#pragma once

#include <cstdint>

namespace arch {

// Builds the IDT (once) and loads it on the current CPU.
void load_idt();

// Reads back what the CPU holds (sidt / sgdt), for tests and diagnostics.
struct TableRegister {
  std::uint16_t limit;
  std::uint64_t base;
};
TableRegister read_idtr();
TableRegister read_gdtr();
std::uint16_t read_task_register();

// Points the gate for `vector` (32..255) at `handler`, a kernel-mode interrupt gate on the
// current stack. Boot CPU, before the vector can fire; every CPU shares the one IDT.
void set_interrupt_gate(unsigned vector, std::uint64_t handler);

// The IST index (0 = none) the IDT gate for `vector` uses.
std::uint8_t idt_gate_ist(unsigned vector);

}  // namespace arch
