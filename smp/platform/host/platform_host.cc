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

#if defined(PLEIADES_EXPLORE)
#include "smp/platform/host/explorer.h"
#endif

namespace platform {

namespace host::detail {
constinit thread_local FastCpu t_fast_cpu;
}  // namespace host::detail

namespace {

// The explore variant (PLEIADES_EXPLORE, docs/explorer.md) makes every change of interrupt or
// preemption state an interleaving point and every spin iteration a spin point; the normal
// host build compiles both to nothing.
//
// Interrupts in explore mode: after every point but the one before an interrupt-disabling
// write, a CPU that has interrupts on takes the IPIs sent to it meanwhile (host_ipi.cc), as a
// CPU takes a pending interrupt at the next instruction boundary. So an IPI reaches its target
// wherever that CPU runs with interrupts on, not only where a test polls.
#if defined(PLEIADES_EXPLORE)
void take_interrupts();
inline void state_point() {
  host::explore::point();
  take_interrupts();
}
inline void spin_point() {
  host::explore::spin_point();
  take_interrupts();
}
inline bool explored() { return host::explore::active(); }
#else
inline void state_point() {}
inline void spin_point() {}
inline bool explored() { return false; }
#endif

// What the machine keeps per CPU: per host thread normally; per explored CPU (a fiber of the
// explorer, which switches `g_explored`) inside a schedule.
struct HostCpu {
  // CPU number and interrupt flag: an explored CPU's own; a thread's are host::detail::t_fast_cpu
  // (platform_inline.h), which the inline platform functions read.
  host::detail::FastCpu fast;
  std::uint32_t preempt_count = 0;
  std::uint32_t irq_depth = 0;
  IrqState irq_saved[8];  // interrupt state at each irq_enter, for irq_exit
  std::uint32_t spins = 0;
  smp::CpuLockState lock_state;
};
thread_local HostCpu t_host_cpu;

#if defined(PLEIADES_EXPLORE)
// The running explored CPU's state, or null outside a schedule. Only the explorer's one host
// thread runs while it is set.
HostCpu* g_explored = nullptr;
HostCpu* g_explored_cpus = nullptr;
HostCpu& me() { return g_explored != nullptr ? *g_explored : t_host_cpu; }
host::detail::FastCpu& fast() {
  return g_explored != nullptr ? g_explored->fast : host::detail::t_fast_cpu;
}
void take_interrupts() {
  if (g_explored != nullptr && g_explored->fast.irqs_enabled &&
      host::ipi_pending(CpuNumber{g_explored->fast.cpu})) {
    host::poll_interrupts();
  }
}
#else
HostCpu& me() { return t_host_cpu; }
host::detail::FastCpu& fast() { return host::detail::t_fast_cpu; }
#endif
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
void host::bind_cpu(CpuNumber cpu) { fast().cpu = to_index(cpu); }

void host::irq_enter() {
  IrqState saved = irq_save_disable();
  if (me().irq_depth < 8) me().irq_saved[me().irq_depth] = saved;
  ++me().irq_depth;
}
void host::irq_exit() {
  if (me().irq_depth == 0) return;
  --me().irq_depth;
  if (me().irq_depth < 8) irq_restore(me().irq_saved[me().irq_depth]);
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

std::uint32_t cpu_count() { return g_cpu_count.load(std::memory_order_relaxed); }

// Out of line (smp/platform/platform.h says why), but in the benchmarks' flavour, which has
// them inline (PLEIADES_HOST_INLINE_PLATFORM, platform_inline.h). In the explore variant an
// explored CPU's state is its fiber's, and every change of it is an interleaving point.
#if !defined(PLEIADES_HOST_INLINE_PLATFORM)
CpuNumber current_cpu() { return CpuNumber{fast().cpu}; }

IrqState irq_save_disable() {
#if defined(PLEIADES_EXPLORE)
  host::explore::point();  // no interrupt taken here: irq_enter() would nest in itself
#endif
  IrqState s{fast().irqs_enabled};
  fast().irqs_enabled = false;
  return s;
}
void irq_restore(IrqState state) {
  fast().irqs_enabled = state.enabled;
#if defined(PLEIADES_EXPLORE)
  state_point();
#endif
}
bool irqs_enabled() { return fast().irqs_enabled; }
#endif

namespace {
std::atomic<bool> g_virtual_cpus{false};
}  // namespace

bool virtual_cpus() { return g_virtual_cpus.load(std::memory_order_relaxed); }

namespace host {
void set_virtual_cpus(bool on) { g_virtual_cpus.store(on, std::memory_order_relaxed); }
}  // namespace host

void cpu_relax() {
  if (explored()) {
    spin_point();
    return;
  }
#if defined(__x86_64__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

std::uint64_t cycles() {
#if defined(PLEIADES_EXPLORE)
  if (explored()) return host::explore::now_ns();  // virtual time: a schedule replays exactly
#endif
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}
std::uint64_t cycles_per_second() { return 1'000'000'000; }

void preempt_disable() {
  state_point();
  ++me().preempt_count;
}
void preempt_enable() {
  if (me().preempt_count == 0) {
    std::fprintf(stderr, "platform: preempt_enable() without preempt_disable()\n");
    std::abort();
  }
  --me().preempt_count;
  state_point();
}
std::uint32_t preempt_count() { return me().preempt_count; }

bool in_interrupt() { return me().irq_depth > 0; }

void spin_wait_hook() {
  if (!fast().irqs_enabled) {
    // Acquire: pairs with the release in set_spin_wait_service.
    if (host::SpinService service = g_spin_service.load(std::memory_order_acquire)) {
      service(g_spin_context.load(std::memory_order_relaxed));
    }
  } else {
    host::poll_interrupts();  // a CPU spinning with interrupts on takes its IPIs (host_ipi.cc)
  }
  if (explored()) {
    spin_point();
  } else if (++me().spins % host::kYieldEvery == 0) {
    std::this_thread::yield();
  }
}

smp::CpuLockState& cpu_lock_state() { return me().lock_state; }

#if defined(PLEIADES_EXPLORE)
void interleave_point() { state_point(); }

void host::explore::detail::begin_cpus(std::uint32_t cpus) {
  g_explored_cpus = new HostCpu[cpus];  // the child process ends with _exit: never freed
  for (std::uint32_t i = 0; i < cpus; ++i) g_explored_cpus[i].fast.cpu = i;
  g_explored = nullptr;
}
void host::explore::detail::enter_cpu(std::uint32_t index) { g_explored = &g_explored_cpus[index]; }
void host::explore::detail::leave_cpus() { g_explored = nullptr; }
#endif

void lock_violation(const LockViolation& violation) {
  // Acquire: pairs with the release in set_lock_violation_handler.
  if (auto handler = g_violation_handler.load(std::memory_order_acquire)) {
    handler(violation, g_violation_context.load(std::memory_order_relaxed));
    return;
  }
  default_handler(violation);
}

}  // namespace platform
