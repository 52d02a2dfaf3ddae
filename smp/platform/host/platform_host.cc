// Host implementation of the platform contract: each host thread that calls bind_cpu() stands
// in for one CPU; interrupts-off, interrupt context and preemption count are per-thread state.
#include "smp/platform/host/platform_host.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "smp/locks/cpu_lock_state.h"
#include "smp/platform/host/host_ipi.h"

namespace platform {
namespace {

thread_local std::uint32_t t_cpu = 0;
thread_local bool t_irqs_enabled = true;
thread_local std::uint32_t t_preempt_count = 0;
thread_local std::uint32_t t_irq_depth = 0;
thread_local IrqState t_irq_saved[8];  // interrupt state at each irq_enter, for irq_exit
thread_local std::uint32_t t_spins = 0;
thread_local smp::CpuLockState t_lock_state;
std::atomic<std::uint32_t> g_cpu_count{1};

// Handler and context are installed together by the test's main thread while no other thread
// reports; acquire/release keep the pair consistent for threads started afterwards.
std::atomic<host::SpinService> g_spin_service{nullptr};
std::atomic<void*> g_spin_context{nullptr};
std::atomic<host::LockViolationHandler> g_violation_handler{nullptr};
std::atomic<void*> g_violation_context{nullptr};

const char* kind_name(LockViolationKind kind) {
  switch (kind) {
    case LockViolationKind::kRankOrder: return "lock rank order violated";
    case LockViolationKind::kCycle: return "lock order cycle";
    case LockViolationKind::kSameClassOrder: return "same-class nesting without ascending key";
    case LockViolationKind::kIrqUnsafe: return "non-IRQ-safe lock taken in interrupt context";
    case LockViolationKind::kNotHeld: return "release of a lock not held";
    case LockViolationKind::kHeldOverflow: return "held-lock stack overflow";
    case LockViolationKind::kTableFull: return "lockdep table full";
    case LockViolationKind::kStall: return "spin stall";
  }
  return "?";
}

void print_ref(const char* what, const LockRef& r) {
  if (r.class_name == nullptr && r.lock == nullptr) return;
  std::fprintf(stderr, "  %s: %s (rank %u, key %u) lock %p at %s:%u [ret %p]\n", what,
               r.class_name ? r.class_name : "?", r.rank, r.nest_key, r.lock,
               r.site.file ? r.site.file : "?", r.site.line, r.site.return_address);
}

void default_handler(const LockViolation& v) {
  std::fprintf(stderr, "lockdep: %s on cpu %u", kind_name(v.kind), v.cpu);
  if (v.kind == LockViolationKind::kStall) std::fprintf(stderr, " (holder cpu %u)", v.holder_cpu);
  std::fprintf(stderr, "\n");
  print_ref("held ", v.held);
  print_ref("taken", v.taken);
  print_ref("earlier held ", v.prior_from);
  print_ref("earlier taken", v.prior_to);
  std::abort();
}

}  // namespace

void host::set_cpu_count(std::uint32_t count) { g_cpu_count.store(count); }
void host::bind_cpu(CpuNumber cpu) { t_cpu = to_index(cpu); }

void host::irq_enter() {
  IrqState saved = irq_save_disable();
  if (t_irq_depth < 8) t_irq_saved[t_irq_depth] = saved;
  ++t_irq_depth;
}
void host::irq_exit() {
  if (t_irq_depth == 0) return;
  --t_irq_depth;
  if (t_irq_depth < 8) irq_restore(t_irq_saved[t_irq_depth]);
}

void host::set_spin_wait_service(SpinService service, void* context) {
  g_spin_context.store(context, std::memory_order_relaxed);
  // Release: a spinner that sees the new service sees its context.
  g_spin_service.store(service, std::memory_order_release);
}

void host::set_lock_violation_handler(LockViolationHandler handler, void* context) {
  g_violation_context.store(context, std::memory_order_relaxed);
  // Release: a reporter that sees the new handler sees its context.
  g_violation_handler.store(handler, std::memory_order_release);
}

CpuNumber current_cpu() { return CpuNumber{t_cpu}; }
std::uint32_t cpu_count() { return g_cpu_count.load(std::memory_order_relaxed); }

IrqState irq_save_disable() {
  IrqState s{t_irqs_enabled};
  t_irqs_enabled = false;
  return s;
}
void irq_restore(IrqState state) { t_irqs_enabled = state.enabled; }
bool irqs_enabled() { return t_irqs_enabled; }

void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

std::uint64_t cycles() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}
std::uint64_t cycles_per_second() { return 1'000'000'000; }

void preempt_disable() { ++t_preempt_count; }
void preempt_enable() {
  if (t_preempt_count == 0) {
    std::fprintf(stderr, "platform: preempt_enable() without preempt_disable()\n");
    std::abort();
  }
  --t_preempt_count;
}
std::uint32_t preempt_count() { return t_preempt_count; }

bool in_interrupt() { return t_irq_depth > 0; }

void spin_wait_hook() {
  if (!t_irqs_enabled) {
    // Acquire: pairs with the release in set_spin_wait_service.
    if (host::SpinService service = g_spin_service.load(std::memory_order_acquire)) {
      service(g_spin_context.load(std::memory_order_relaxed));
    }
  } else {
    host::poll_interrupts();  // a CPU spinning with interrupts on takes its IPIs (host_ipi.cc)
  }
  if (++t_spins % host::kYieldEvery == 0) std::this_thread::yield();
}

smp::CpuLockState& cpu_lock_state() { return t_lock_state; }

void lock_violation(const LockViolation& violation) {
  // Acquire: pairs with the release in set_lock_violation_handler.
  if (auto handler = g_violation_handler.load(std::memory_order_acquire)) {
    handler(violation, g_violation_context.load(std::memory_order_relaxed));
    return;
  }
  default_handler(violation);
}

}  // namespace platform
