// The platform contract: the only way smp/ and sched/ reach the machine.
//
// Two implementations, chosen at link time:
//   kernel/platform/  the real machine (GS-based per-CPU data, RFLAGS.IF, LAPIC IPIs, TSC);
//   smp/platform/host/ host threads standing in for CPUs (a thread_local CPU number,
//                      interrupts-off as a per-thread flag, IPIs delivered to host threads).
// Keep it narrow: every function here must be implementable on both sides.
#pragma once

#include <cstdint>

#include "smp/klib/ids.h"

namespace smp {
struct CpuLockState;  // smp/locks/cpu_lock_state.h: MCS queue nodes and lockdep's held stack
}

namespace platform {

// Dense logical CPU number (boot CPU = 0) and the sparse 32-bit APIC ID: one declaration each,
// in smp/klib/ids.h, shared with acpi/.
using klib::ApicId;
using klib::CpuNumber;
using klib::to_index;
using klib::to_raw;

// Number of CPUs the platform knows (online or being brought up); CPU numbers are below it.
std::uint32_t cpu_count();

// Interrupt state of the current CPU, saved and restored around IRQ-safe critical sections.
struct IrqState {
  bool enabled;
};

// The per-call fast functions, used on every IRQ-safe critical section and per-CPU access:
//   CpuNumber current_cpu();     the CPU this code runs on; stable only while preemption or
//                                interrupts are disabled
//   IrqState irq_save_disable(); disables interrupts, returns the previous state
//   void irq_restore(IrqState);  restores a state irq_save_disable returned
//   bool irqs_enabled();
// Inline in the kernel (kernel_inline.h reads GS and RFLAGS; the one place a build's side is
// chosen at compile time: a call per critical section was a third of the heap's fast path,
// issue 14). Out of line on the host (platform_host.cc): there a thread_local holds the state,
// and the scheduler's host tests move a thread's context from one host thread to another, so a
// thread_local address the compiler computed before a context switch and kept after it (which
// it may, inline) names the previous host thread's state. ThreadSanitizer found exactly that in
// sched_test's SmpScheduler and Sync tests with the inline versions. The benchmarks' host
// flavour (PLEIADES_HOST_INLINE_PLATFORM, host/platform_inline.h) has them inline all the same:
// no benchmark moves a context between host threads, and a benchmark should pay what the
// kernel pays.
}  // namespace platform

#if defined(PLEIADES_KERNEL)
#include "smp/platform/kernel_inline.h"
#else
#include "smp/platform/host/platform_inline.h"
#endif

namespace platform {
#if !defined(PLEIADES_KERNEL) && !defined(PLEIADES_HOST_INLINE_PLATFORM)
CpuNumber current_cpu();
[[nodiscard]] IrqState irq_save_disable();
void irq_restore(IrqState state);
bool irqs_enabled();
#endif

// Spin-wait hint (PAUSE on x86).
void cpu_relax();

// Whether the CPUs are virtual: a hypervisor or an emulator may stop one while it runs
// (kernel: CPUID's hypervisor bit, or the `spinlocks=` command-line option; host: false
// unless a test sets it, host::set_virtual_cpus). Fair spinlocks then take the lock whenever it
// is free instead of handing it over in line (raw::TicketLock::acquire): a waiter whose turn
// came while its CPU was stopped would hold up every other waiter until it ran again.
bool virtual_cpus();

// A point where the host's interleaving explorer (smp/platform/host/explorer.h,
// docs/explorer.md) may stop this CPU and run another. The explore variant of the host
// libraries (PLEIADES_EXPLORE) calls it before every smp::Atomic access; every other build,
// the kernel's included, compiles it to nothing.
#if defined(PLEIADES_EXPLORE)
void interleave_point();
#else
inline void interleave_point() {}
#endif

// A monotonic cycle counter (TSC on x86, steady clock on the host) and its rate.
std::uint64_t cycles();
std::uint64_t cycles_per_second();

// ---- Locking support (smp/locks/, smp/lockdep/; docs/locking.md) --------------------------

// Preemption control. The count nests; preemption is possible only at count 0 with interrupts
// enabled. Every spinlock raises it for as long as it is held (or waited for).
// Kernel: per CPU; host: per thread.
void preempt_disable();
void preempt_enable();
std::uint32_t preempt_count();

// True while the current CPU runs an interrupt handler (kernel: between the dispatcher's
// irq_enter and irq_exit; host: between host::irq_enter and host::irq_exit).
bool in_interrupt();

// Called on every iteration of every lock spin loop, after cpu_relax(). With interrupts off it
// serves pending cross-CPU requests (call functions, TLB shootdowns) so that a CPU spinning on
// a lock never blocks a CPU that waits for it (STYLE.md rule 10). Cheap when nothing is pending.
void spin_wait_hook();

// The lock bookkeeping of the current CPU (kernel) or thread (host). Valid while preemption is
// disabled; touched only by its own CPU (and that CPU's interrupt handlers, which nest).
smp::CpuLockState& cpu_lock_state();

// Where a lock was taken: the caller's file:line and return address.
struct LockSite {
  const char* file = nullptr;
  std::uint32_t line = 0;
  const void* return_address = nullptr;
};

// One lock in a report.
struct LockRef {
  const char* class_name = nullptr;
  std::uint32_t rank = 0;
  std::uint32_t nest_key = 0;
  const void* lock = nullptr;
  LockSite site;
};

enum class LockViolationKind : std::uint8_t {
  kRankOrder,        // `taken` has a rank not above the held lock `held`
  kCycle,            // taking `taken` while holding `held` closes a cycle of class edges;
                     // `prior_from` -> `prior_to` is the first recorded edge of that cycle
  kSameClassOrder,   // two locks of one class without an ascending nest key
  kIrqUnsafe,        // a non-IRQ-saving lock taken in interrupt context
  kNotHeld,          // released a lock this CPU does not hold
  kHeldOverflow,     // more locks held at once than the held stack records
  kTableFull,        // the class or edge table is full: checking is partial from now on
  kStall,            // spun on `taken` past the spin limit; `holder_cpu` holds it
};

struct LockViolation {
  explicit LockViolation(LockViolationKind k) : kind(k) {}

  LockViolationKind kind;
  std::uint32_t cpu = 0;         // the reporting CPU
  std::uint32_t holder_cpu = 0;  // kStall: the CPU holding `taken` (kNoCpu if unknown)
  LockRef held;                  // the held lock involved (empty for kStall, kTableFull)
  LockRef taken;                 // the lock being taken or released
  LockRef prior_from;            // kCycle: the recorded edge that closes the cycle
  LockRef prior_to;
};
inline constexpr std::uint32_t kNoCpu = 0xFFFF'FFFF;

// Reports a locking rule violation. Kernel: panics with both locks and sites. Host: calls the
// handler installed with host::set_lock_violation_handler (default: print and abort).
void lock_violation(const LockViolation& violation);

// ---- Cross-CPU calls support (smp/calls/; docs/locking.md "cross-CPU services") -----------

// Whether `cpu` is online (started and taking interrupts). Host: every CPU below cpu_count().
bool cpu_is_online(CpuNumber cpu);

// Why an IPI is sent: each kind has its own vector (kernel) or pending bit (host). The handler
// that runs on the target is installed by the owner of the service (kernel/cpus/ipi/, or a host
// test with host::set_ipi_handler), not through this contract.
enum class IpiKind : std::uint8_t { kCallFunction, kTlbShootdown, kReschedule };
inline constexpr std::uint32_t kIpiKinds = 3;

// Sends one IPI of `kind` to the online CPU `cpu`; the target runs its handler once it has
// interrupts enabled. The sender's earlier writes are visible to that handler. Any context.
void send_ipi(CpuNumber cpu, IpiKind kind);

// Drops the current CPU's TLB entries for the 4 KiB pages [virt, virt + pages * 4096), or
// every entry, global ones included (flush_tlb_local_all). Interrupts or preemption off, so it
// is this CPU's TLB.
void flush_tlb_local(std::uint64_t virt, std::uint64_t pages);
void flush_tlb_local_all();

}  // namespace platform
