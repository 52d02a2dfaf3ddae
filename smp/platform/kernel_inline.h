// The kernel side of the platform contract's per-call fast functions (current_cpu and the
// interrupt flag), inline so that a hot path such as the heap's per-CPU magazines pays no call
// for them (issue 14: three out-of-line calls were a third of a same-CPU allocate and free).
// Included by smp/platform/platform.h in kernel builds (PLEIADES_KERNEL) only; the rest of the
// kernel's side of the contract is out of line in kernel/platform/.
//
// What it relies on from the kernel, which kernel/arch/x86_64/percpu.h asserts: GS holds the
// current CPU's block, with the dense CPU number as a 32-bit word at kGsCpuNumberOffset.
#pragma once

#include <cstdint>

#include "smp/klib/ids.h"

namespace platform {

// Offset of the CPU number in the block GS points at (arch::CpuLocal::cpu_number).
inline constexpr std::uint32_t kGsCpuNumberOffset = 8;

namespace kernel_inline {
inline constexpr std::uint64_t kRflagsIf = std::uint64_t{1} << 9;  // RFLAGS.IF (Intel SDM 3.4.3)
}  // namespace kernel_inline

inline klib::CpuNumber current_cpu() {
  // One GS-relative load: the number is read atomically from the block of the CPU executing
  // the load; it stays this CPU's only while interrupts or preemption are off.
  std::uint32_t v;
  asm volatile("movl %%gs:%c1, %0" : "=r"(v) : "i"(kGsCpuNumberOffset));
  return klib::CpuNumber{v};
}

inline IrqState irq_save_disable() {
  // pushfq+cli in one asm statement: IF is read and cleared without a window where a
  // compiler could move memory accesses in between ("memory": a compiler barrier, so the
  // critical section's accesses stay after it).
  std::uint64_t flags;
  asm volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
  return IrqState{(flags & kernel_inline::kRflagsIf) != 0};
}

inline void irq_restore(IrqState state) {
  // Exactly the saved IF, as popfq would restore it, so nested guards unwind correctly;
  // "memory" keeps the critical section's accesses before it.
  if (state.enabled) {
    asm volatile("sti" : : : "memory");
  } else {
    asm volatile("cli" : : : "memory");
  }
}

inline bool irqs_enabled() {
  std::uint64_t flags;
  asm volatile("pushfq\n\tpopq %0" : "=r"(flags) : : "memory");
  return (flags & kernel_inline::kRflagsIf) != 0;
}

}  // namespace platform
