// Bring-up of the boot CPU's architectural state.
#pragma once

namespace arch {

// Step 1, first thing in kernel_main: per-CPU block and GS base, so every later step (and any
// exception) can find its CPU. Only a wrmsr: nothing here can fail or print.
void init_boot_cpu_local();

// Step 2: GDT with this CPU's TSS (IST stacks for #DF, NMI, #MC), then the IDT.
void init_boot_cpu_tables();

// Whether the guard gaps below the boot CPU's IST stacks and the boot stack are still all
// zero (nothing overflowed into them). For tests and panic diagnostics.
bool boot_stack_guards_intact();

}  // namespace arch
