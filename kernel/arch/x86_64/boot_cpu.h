// Bring-up of a CPU's architectural state: the boot CPU's in two steps from kernel_main, an
// AP's in one from the SMP bring-up (kernel/cpus/ap_entry.cc).
#pragma once

#include <cstdint>

namespace arch {

struct CpuLocal;

// Step 1, first thing in kernel_main: per-CPU block and GS base, so every later step (and any
// exception) can find its CPU. Only a wrmsr: nothing here can fail or print.
void init_boot_cpu_local();

// Step 2: GDT with this CPU's TSS (IST stacks for #DF, NMI, #MC), then the IDT.
void init_boot_cpu_tables();

// Whether the guard gaps below the boot CPU's IST stacks and the boot stack are still all
// zero (nothing overflowed into them). For tests and panic diagnostics.
bool boot_stack_guards_intact();

// The boot CPU's control registers, captured once it has its final set-up (after mm::init), so
// every AP runs with the same paging and protection bits (NXE, WP, SMEP, SMAP, PGE, ...).
struct ControlRegisters {
  std::uint64_t cr0;
  std::uint64_t cr4;
  std::uint64_t efer;
};
ControlRegisters read_control_registers();

// An AP, on its own stack right after the trampoline, interrupts off, features already checked
// equal to the boot CPU's: CR4 and EFER as `bsp` (CR0 came from the trampoline), a full TLB
// flush (drops the trampoline's identity translation), GS base = `local`, its own GDT and TSS
// with the IST stacks in local.ist_tops, the shared IDT. Cannot fail.
void init_secondary_cpu(CpuLocal& local, const ControlRegisters& bsp);

}  // namespace arch
