// Per-CPU data of the x86-64 kernel: one cache-line-aligned CpuLocal per CPU, its address in
// the GS base MSR and again at gs:0 (the self pointer), so `current` is one GS-relative load.
// The boot CPU's block is static (needed before the heap); each AP's is allocated by the SMP
// bring-up (kernel/cpus/cpu_blocks.cc), sized by the CPU count, and installed by the AP itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/percpu_offsets.h"
#include "smp/klib/ids.h"
#include "smp/locks/cpu_lock_state.h"
#include "smp/platform/platform.h"

namespace arch {

struct FaultRecovery;

// Where a CPU is in its start-up (docs/smp.md). The trampoline stages are written by
// trampoline.S with the same numbers (trampoline_layout.h); the order is the order of progress,
// so "reached at least X" is a comparison. The two last ones are terminal failures.
enum class CpuStage : std::uint32_t {
  kNone = 0,           // not started, or never ran the trampoline
  kTrampoline16 = 1,   // ran the real-mode entry and found its slot
  kProtected32 = 2,    // in protected mode
  kLong64 = 3,         // in long mode on the kernel page tables, about to jump to the kernel
  kKernelEntry = 4,    // in ap_entry() on its own stack
  kFeaturesChecked = 5,  // CPUID features equal the boot CPU's; control registers as the BSP's
  kDescriptors = 6,    // own GDT/TSS/IST stacks loaded, IDT loaded, GS base = its block
  kApic = 7,           // local APIC enabled in the boot CPU's mode, APIC ID checked
  kTimer = 8,          // LAPIC timer rate check begun (finished before the join)
  kOnline = 9,         // waiting to be released
  kRunning = 10,       // released: in its idle loop
  kFeatureMismatch = 0x100,  // parked: CPUID differs from the boot CPU's (see mismatch fields)
  kApicIdMismatch = 0x101,   // parked: its APIC ID register disagrees with its slot
  kAbandoned = 0x102,        // parked: the boot CPU gave up on it (claimed with a CAS on `stage`
                             // at any kernel-code stage); it parks when it sees this
};
const char* cpu_stage_name(CpuStage stage);

struct alignas(64) CpuLocal {
  CpuLocal* self;                  // gs:0, must stay first
  klib::CpuNumber cpu_number;      // gs:8, dense logical number (boot CPU = 0)
  klib::ApicId apic_id;            // gs:12, as the hardware reports it (32-bit)
  FaultRecovery* fault_recovery;   // gs:16, armed by expect_fault (fault_recovery.h)
  std::uint32_t preempt_count;     // gs:24, for the kernel platform's preempt_disable()
  std::uint32_t interrupt_depth;   // gs:28, for the interrupt dispatcher's irq_enter/irq_exit
  // Counters, each bumped only by its own CPU with one GS-relative `incq` (cannot be split by an
  // interrupt or a migration) and read by others as aligned 64-bit loads (atomic on x86-64).
  std::uint64_t interrupts;        // gs:32, interrupts taken (vectors >= 32)
  std::uint64_t ipis;              // gs:40, inter-processor interrupts taken
  std::uint64_t timer_ticks;       // gs:48, local APIC timer interrupts taken
  // Start-up state: written by this CPU (stage), read by the boot CPU with atomic builtins.
  CpuStage stage;                  // gs:56
  std::uint32_t acpi_uid;          // ACPI processor UID (for LINT NMI entries)
  // gs:64, the system-call entry's scratch: the user RSP between SYSCALL and the frame push.
  std::uint64_t user_rsp_scratch;
  std::uint64_t kernel_stack_top;  // the stack this CPU started on (boot CPU: entry.S)
  // gs:80, the top of the running thread's kernel stack (also TSS.RSP0): where SYSCALL entry
  // switches to. Written by this CPU only, interrupts off, on every switch to a user thread.
  std::uint64_t syscall_stack_top;
  std::uint64_t ist_tops[kIstStackCount];
  std::uint64_t lapic_timer_hz;    // this CPU's calibrated LAPIC timer rate
  std::uint64_t tsc_hz;            // the TSC rate this CPU runs with
  // kFeatureMismatch: the first CPUID word that differed.
  std::uint32_t mismatch_leaf, mismatch_register, mismatch_ap_value, mismatch_bsp_value;
  CpuDescriptors descriptors;      // this CPU's GDT and TSS
  smp::CpuLockState lock_state;    // MCS queue nodes and held locks (kernel/platform/locking_kernel.cc)
  // The scheduler's current thread on this CPU (kernel/threads/kernel_scheduler.h); null until
  // the CPU enters the scheduler. Written only by this CPU with interrupts off, just before it
  // switches threads; read with one GS-relative load (current_thread_raw below).
  void* current_thread;
};

// Offsets read or written with GS-relative instructions below.
static_assert(offsetof(CpuLocal, self) == 0);
static_assert(offsetof(CpuLocal, cpu_number) == 8);
// platform::current_cpu() reads it inline (smp/platform/kernel_inline.h).
static_assert(offsetof(CpuLocal, cpu_number) == platform::kGsCpuNumberOffset);
static_assert(offsetof(CpuLocal, apic_id) == 12);
// The GS-relative loads below read them as 32-bit words.
static_assert(sizeof(klib::CpuNumber) == 4 && sizeof(klib::ApicId) == 4);
static_assert(offsetof(CpuLocal, fault_recovery) == 16);
static_assert(offsetof(CpuLocal, preempt_count) == 24);
static_assert(offsetof(CpuLocal, interrupt_depth) == 28);
static_assert(offsetof(CpuLocal, interrupts) == 32);
static_assert(offsetof(CpuLocal, ipis) == 40);
static_assert(offsetof(CpuLocal, timer_ticks) == 48);
static_assert(offsetof(CpuLocal, stage) == 56);
static_assert(offsetof(CpuLocal, user_rsp_scratch) == PERCPU_USER_RSP_SCRATCH);
static_assert(offsetof(CpuLocal, syscall_stack_top) == PERCPU_SYSCALL_STACK_TOP);
static_assert(alignof(CpuLocal) == 64 && sizeof(CpuLocal) % 64 == 0);
// current_thread is read and written with one GS-relative instruction at its offset (an
// immediate operand below), which needs natural alignment to be a single access.
inline constexpr std::size_t kCurrentThreadOffset = offsetof(CpuLocal, current_thread);
static_assert(kCurrentThreadOffset % 8 == 0);

// The boot CPU's block (static: it is needed before the heap exists).
CpuLocal& boot_cpu_local();

// Makes `local` the current CPU's block: fills the self pointer and loads the GS base MSR.
// Must run before anything calls the accessors below on this CPU.
void install_cpu_local(CpuLocal& local);

// The current CPU's block. One GS-relative load of the self pointer: the load itself cannot be
// split by a migration, but the CPU may change right after it, so callers that keep using the
// result need preemption or interrupts disabled.
inline CpuLocal* current_cpu_local() {
  CpuLocal* self;
  asm volatile("movq %%gs:0, %0" : "=r"(self));
  return self;
}

// One field of the current CPU's block, with one GS-relative load (see current_cpu_local).
// current_cpu_index() is the CPU number as an index (to_index of gs:8), for the per-CPU
// arrays and reports of the kernel; platform::current_cpu() is the typed form.
inline std::uint32_t current_cpu_index() {
  std::uint32_t v;
  asm volatile("movl %%gs:8, %0" : "=r"(v));
  return v;
}
inline klib::ApicId current_apic_id_cached() {
  std::uint32_t v;
  asm volatile("movl %%gs:12, %0" : "=r"(v));
  return klib::ApicId{v};
}
inline FaultRecovery* current_fault_recovery() {
  FaultRecovery* v;
  asm volatile("movq %%gs:16, %0" : "=r"(v));
  return v;
}
inline void set_current_fault_recovery(FaultRecovery* r) {
  asm volatile("movq %0, %%gs:16" : : "r"(r) : "memory");
}

// The current CPU's current thread. One GS-relative load: whichever CPU executes it, the value
// is the thread running that load, i.e. the caller itself, even if it migrates right after (a
// thread is current wherever it runs). Null before the CPU entered the scheduler.
inline void* current_thread_raw() {
  void* v;
  asm volatile("movq %%gs:%c1, %0" : "=r"(v) : "i"(kCurrentThreadOffset));
  return v;
}
// Interrupts off, by the CPU about to run `t`.
inline void set_current_thread_raw(void* t) {
  asm volatile("movq %0, %%gs:%c1" : : "r"(t), "i"(kCurrentThreadOffset) : "memory");
}

// Counter bumps: one read-modify-write instruction on this CPU's own block. An interrupt
// cannot split it, and a migration can only move the *next* bump elsewhere, which is fine for
// a per-CPU count. No lock prefix: no other CPU writes these fields.
inline void count_interrupt() { asm volatile("incq %%gs:32" : : : "memory"); }
inline void count_ipi() { asm volatile("incq %%gs:40" : : : "memory"); }
inline void count_timer_tick() { asm volatile("incq %%gs:48" : : : "memory"); }

// Another CPU's counter (or this one's), read as one aligned 64-bit load.
inline std::uint64_t read_counter(const std::uint64_t& counter) {
  return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

// Stage of a CPU's block: written by that CPU with release order (everything it set up before is
// visible to whoever sees the stage), read with acquire.
inline void publish_stage(CpuLocal& local, CpuStage stage) {
  __atomic_store_n(&local.stage, stage, __ATOMIC_RELEASE);
}
inline CpuStage read_stage(const CpuLocal& local) {
  return __atomic_load_n(&local.stage, __ATOMIC_ACQUIRE);
}

}  // namespace arch
