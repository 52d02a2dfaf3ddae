// Per-CPU data of the x86-64 kernel: one cache-line-aligned CpuLocal per CPU, its address in
// the GS base MSR and again at gs:0 (the self pointer), so `current` is one GS-relative load.
// Only the boot CPU's block exists so far; application processors will each get one
// allocated at start-up (the AP bring-up code fills it and calls install()).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/arch/x86_64/descriptors.h"

namespace arch {

struct FaultRecovery;

struct alignas(64) CpuLocal {
  CpuLocal* self;                  // gs:0, must stay first
  std::uint32_t cpu_number;        // gs:8, dense logical number (boot CPU = 0)
  std::uint32_t apic_id;           // gs:12, as the hardware reports it
  FaultRecovery* fault_recovery;   // gs:16, armed by expect_fault (fault_recovery.h)
  CpuDescriptors descriptors;      // this CPU's GDT and TSS
};

// Offsets read with GS-relative loads below.
static_assert(offsetof(CpuLocal, self) == 0);
static_assert(offsetof(CpuLocal, cpu_number) == 8);
static_assert(offsetof(CpuLocal, apic_id) == 12);
static_assert(offsetof(CpuLocal, fault_recovery) == 16);

// The boot CPU's block (static: it is needed before the heap exists).
CpuLocal& boot_cpu_local();

// Makes `local` the current CPU's block: fills the self pointer and loads the GS base MSR.
// Must run before anything calls the accessors below on this CPU.
void install_cpu_local(CpuLocal& local);

// The current CPU's block. One GS-relative load of the self pointer: the load itself cannot be
// split by a migration, but the CPU may change right after it, so callers that keep using the
// result need preemption or interrupts disabled (no preemption exists yet).
inline CpuLocal* current_cpu_local() {
  CpuLocal* self;
  asm volatile("movq %%gs:0, %0" : "=r"(self));
  return self;
}

// One field of the current CPU's block, with one GS-relative load (see current_cpu_local).
inline std::uint32_t current_cpu_number() {
  std::uint32_t v;
  asm volatile("movl %%gs:8, %0" : "=r"(v));
  return v;
}
inline FaultRecovery* current_fault_recovery() {
  FaultRecovery* v;
  asm volatile("movq %%gs:16, %0" : "=r"(v));
  return v;
}
inline void set_current_fault_recovery(FaultRecovery* r) {
  asm volatile("movq %0, %%gs:16" : : "r"(r) : "memory");
}

}  // namespace arch
