// The kernel implementation of the locking part of the platform contract
// (smp/platform/platform.h): preemption count, interrupt context, the spin-wait hook, the
// per-CPU lock bookkeeping (CpuLockState) and lock-violation reports (panic).
//
// Per-CPU state lives in arch::CpuLocal: the preemption count (gs:24) and interrupt depth (gs:28)
// are updated with one GS-relative instruction, which an interrupt cannot split and a migration
// cannot tear (it only moves the *next* update to the other CPU, and a thread is never migrated
// with a non-zero preemption count).
#include <atomic>
#include <cstdint>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/core/panic.h"
#include "kernel/platform/locking_kernel.h"
#include "smp/locks/cpu_lock_state.h"
#include "smp/platform/platform.h"

// The scheduler's preemption point (kernel/threads/kernel_scheduler.cc); weak, as in
// kernel/interrupts/dispatch.cc.
extern "C" [[gnu::weak]] void ksched_preempt_point();

namespace platform {
namespace {

std::atomic<kernel::SpinWaitService> g_spin_service{nullptr};

}  // namespace

void preempt_disable() { asm volatile("incl %%gs:24" : : : "memory"); }

void preempt_enable() {
  if (preempt_count() == 0) panic("preempt_enable() without preempt_disable()");
  asm volatile("decl %%gs:24" : : : "memory");
  // The scheduler's preemption point, when the count drops to 0 (it checks interrupts and
  // need_resched itself).
  if (ksched_preempt_point != nullptr && preempt_count() == 0) ksched_preempt_point();
}

std::uint32_t preempt_count() {
  std::uint32_t n;
  asm volatile("movl %%gs:24, %0" : "=r"(n));
  return n;
}

bool in_interrupt() {
  std::uint32_t depth;
  asm volatile("movl %%gs:28, %0" : "=r"(depth));
  return depth != 0;
}

void spin_wait_hook() {
  // With interrupts enabled the cross-CPU request arrives as an IPI and is served by its
  // handler; only a CPU spinning with interrupts off must poll.
  if (irqs_enabled()) return;
  // Acquire: pairs with the release in set_spin_wait_service (the service's own state is
  // initialised before it is installed).
  if (kernel::SpinWaitService service = g_spin_service.load(std::memory_order_acquire)) {
    service();
  }
}

// Callers hold interrupts or preemption off (the lock code does), so the block stays this CPU's.
smp::CpuLockState& cpu_lock_state() { return arch::current_cpu_local()->lock_state; }

void lock_violation(const LockViolation& v) {
  const char* kinds[] = {"rank order violated", "lock order cycle",
                         "same-class nesting without ascending key",
                         "non-IRQ-safe lock taken in interrupt context", "release of a lock not held",
                         "held-lock stack overflow", "lockdep table full", "spin stall"};
  const auto k = static_cast<std::uint32_t>(v.kind);
  panic("lockdep: {} on cpu {} (holder cpu {:#x}): held {} rank {} key {} lock {:p} at {}:{}; "
        "taking {} rank {} key {} lock {:p} at {}:{}; earlier {} at {}:{} then {} at {}:{}",
        k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "?", v.cpu, v.holder_cpu,
        v.held.class_name, v.held.rank, v.held.nest_key, v.held.lock, v.held.site.file,
        v.held.site.line, v.taken.class_name, v.taken.rank, v.taken.nest_key, v.taken.lock,
        v.taken.site.file, v.taken.site.line, v.prior_from.class_name, v.prior_from.site.file,
        v.prior_from.site.line, v.prior_to.class_name, v.prior_to.site.file, v.prior_to.site.line);
}

namespace kernel {

// Interrupts are off in the dispatcher, which is the only caller.
void irq_enter() { asm volatile("incl %%gs:28" : : : "memory"); }

void irq_exit() {
  if (!in_interrupt()) panic("irq_exit() without irq_enter()");
  asm volatile("decl %%gs:28" : : : "memory");
}

void set_spin_wait_service(SpinWaitService service) {
  // Release: see spin_wait_hook.
  g_spin_service.store(service, std::memory_order_release);
}

}  // namespace kernel
}  // namespace platform
