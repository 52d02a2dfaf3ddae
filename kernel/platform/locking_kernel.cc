// The kernel implementation of the locking part of the platform contract
// (smp/platform/platform.h): preemption count, interrupt context, the spin-wait hook, the
// per-CPU lock bookkeeping (CpuLockState) and lock-violation reports (panic).
//
// Per-CPU storage is a static array indexed by the logical CPU number (gs:8) rather than a
// field of arch::CpuLocal, which belongs to the per-CPU data code: when CpuLocal grows a
// `preempt_count` field at a fixed offset, preempt_disable() becomes one `incl %gs:N` and the
// interrupt masking below goes away (docs/locking.md, "Kernel integration").
#include <atomic>
#include <cstdint>

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/core/panic.h"
#include "kernel/platform/locking_kernel.h"
#include "smp/locks/cpu_lock_state.h"
#include "smp/platform/platform.h"

namespace platform {
namespace {

// CPUs with lock bookkeeping. A CPU above the limit panics on its first lock (it cannot be
// checked or queued correctly), which the AP bring-up will hit long before it matters.
constexpr std::uint32_t kLockCpus = 256;

struct alignas(64) LockCpu {
  smp::CpuLockState locks;
  std::uint32_t preempt_count = 0;
  std::uint32_t irq_depth = 0;
};
LockCpu g_lock_cpus[kLockCpus];

std::atomic<kernel::SpinWaitService> g_spin_service{nullptr};

// The current CPU's block. Callers keep interrupts or preemption disabled while they use it:
// the CPU number is read with one GS-relative load, but the thread could migrate right after.
LockCpu& this_lock_cpu() {
  const std::uint32_t cpu = arch::current_cpu_number();
  if (cpu >= kLockCpus) panic("locking: cpu {} above the {} CPUs with lock state", cpu, kLockCpus);
  return g_lock_cpus[cpu];
}

// Runs `f` on the current CPU's block with interrupts masked, so that neither a migration
// nor an interrupt handler can come between reading the CPU number and updating the block.
template <typename F>
auto with_irqs_masked(F f) {
  const IrqState saved = irq_save_disable();
  auto result = f(this_lock_cpu());
  irq_restore(saved);
  return result;
}

}  // namespace

void preempt_disable() {
  with_irqs_masked([](LockCpu& c) { return ++c.preempt_count; });
}

void preempt_enable() {
  const std::uint32_t before = with_irqs_masked([](LockCpu& c) {
    const std::uint32_t n = c.preempt_count;
    if (n != 0) c.preempt_count = n - 1;
    return n;
  });
  if (before == 0) panic("preempt_enable() without preempt_disable()");
  // No scheduler yet: when one exists, a drop to 0 with a reschedule pending switches here.
}

std::uint32_t preempt_count() {
  return with_irqs_masked([](LockCpu& c) { return c.preempt_count; });
}

bool in_interrupt() {
  return with_irqs_masked([](LockCpu& c) { return c.irq_depth != 0; });
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

smp::CpuLockState& cpu_lock_state() { return this_lock_cpu().locks; }

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

void irq_enter() { ++this_lock_cpu().irq_depth; }  // interrupts are off in the dispatcher

void irq_exit() {
  LockCpu& c = this_lock_cpu();
  if (c.irq_depth == 0) panic("irq_exit() without irq_enter()");
  --c.irq_depth;
}

void set_spin_wait_service(SpinWaitService service) {
  // Release: see spin_wait_hook.
  g_spin_service.store(service, std::memory_order_release);
}

}  // namespace kernel
}  // namespace platform
