#include "kernel/proc/cpu_time.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/threads/kernel_scheduler.h"
#include "smp/atomic.h"
#include "kernel/time/clock.h"

namespace kproc {
namespace {

// Each CPU's own counters, written by that CPU with interrupts off (the switch hook, the
// charges of its current thread), read by anyone (relaxed: counters).
struct alignas(64) CpuCounters {
  smp::Atomic<std::uint64_t> user_ns{0};
  smp::Atomic<std::uint64_t> idle_ns{0};
  smp::Atomic<std::uint64_t> idle_since{0};  // nonzero: idle since then
  smp::Atomic<std::uint64_t> first_ns{0};    // the first switch seen: when counting began
};
CpuCounters g_cpus[smp::kMaxCpus];

CpuCounters& this_cpu() { return g_cpus[arch::current_cpu_index()]; }

// Charges `t`'s time since its mark to user or system time, and moves the mark to `now`.
// Interrupts off: the switch hook charges the same thread on this CPU.
[[gnu::always_inline]] inline void charge(UserThread& t, std::uint64_t now, bool system) {
  if (t.cpu_mark_ns == 0 || now <= t.cpu_mark_ns) {
    t.cpu_mark_ns = now;
    return;
  }
  const std::uint64_t spent = now - t.cpu_mark_ns;
  t.cpu_mark_ns = now;
  // The thread's and the CPU's counters have one writer each, the CPU running the thread
  // (interrupts off), so plain stores do; the process's totals take them when it leaves
  // (fold_into_process).
  if (system) {
    t.system_ns.store(t.system_ns.load(std::memory_order_relaxed) + spent, std::memory_order_relaxed);
  } else {
    t.user_ns.store(t.user_ns.load(std::memory_order_relaxed) + spent, std::memory_order_relaxed);
    CpuCounters& cpu = this_cpu();
    cpu.user_ns.store(cpu.user_ns.load(std::memory_order_relaxed) + spent, std::memory_order_relaxed);
  }
}

// Runs `f` with interrupts off, restoring them after.
template <typename F>
void with_interrupts_off(F&& f) {
  const std::uint64_t flags = arch::read_rflags();
  arch::cli();
  f();
  if (flags & arch::kRflagsIf) arch::sti();
}

}  // namespace

void charge_kernel_entry(UserThread& t) {
  with_interrupts_off([&] {
    charge(t, ktime::now_ns(), false);
    t.in_kernel = true;
  });
}

void charge_return_to_user(UserThread& t) {
  with_interrupts_off([&] {
    charge(t, ktime::now_ns(), t.in_kernel);
    t.in_kernel = false;
  });
}

void charge_switch(sched::Thread* from, sched::Thread* to) {
  const std::uint64_t now = ktime::now_ns();
  CpuCounters& cpu = this_cpu();
  if (cpu.first_ns.load(std::memory_order_relaxed) == 0) cpu.first_ns.store(now, std::memory_order_relaxed);
  const std::uint64_t idle_since = cpu.idle_since.load(std::memory_order_relaxed);
  if (idle_since != 0) {
    cpu.idle_ns.fetch_add(now - idle_since, std::memory_order_relaxed);
    cpu.idle_since.store(0, std::memory_order_relaxed);
  }
  const sched::RunQueue& rq = kthreads::scheduler().runqueue(platform::CpuNumber{arch::current_cpu_index()});
  if (to == rq.idle()) cpu.idle_since.store(now, std::memory_order_relaxed);
  if (from != nullptr)
    if (auto* user = static_cast<UserThread*>(from->switch_cookie)) charge(*user, now, user->in_kernel);
  if (to != nullptr)
    if (auto* user = static_cast<UserThread*>(to->switch_cookie)) user->cpu_mark_ns = now;
}

void charge_now(UserThread& t) {
  with_interrupts_off([&] { charge(t, ktime::now_ns(), true); });
}

CpuTimes current_thread_times() {
  UserThread& t = *current_user_thread();
  charge_now(t);
  return {t.user_ns.load(std::memory_order_relaxed), t.system_ns.load(std::memory_order_relaxed)};
}

CpuTimes current_process_times() {
  UserThread& t = *current_user_thread();
  charge_now(t);
  return process_times(*t.process);
}

CpuTimes process_times(const Process& p) {
  smp::Guard g{p.threads_lock};
  CpuTimes sum{p.user_ns.load(std::memory_order_relaxed),
               p.system_ns.load(std::memory_order_relaxed)};
  for (const UserThread* u = p.threads; u != nullptr; u = u->next_in_process) {
    sum.user_ns += u->user_ns.load(std::memory_order_relaxed);
    sum.system_ns += u->system_ns.load(std::memory_order_relaxed);
  }
  return sum;
}

void fold_into_process(Process& p, const UserThread& t) {
  p.user_ns.fetch_add(t.user_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  p.system_ns.fetch_add(t.system_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

CpuTimes children_times(const Process& p) {
  return {p.children_user_ns.load(std::memory_order_relaxed),
          p.children_system_ns.load(std::memory_order_relaxed)};
}

}  // namespace kproc

namespace kproc {

CpuUsage cpu_usage(std::uint32_t cpu) {
  if (cpu >= smp::kMaxCpus) return {};
  const CpuCounters& c = g_cpus[cpu];
  const std::uint64_t now = ktime::now_ns();
  const std::uint64_t first = c.first_ns.load(std::memory_order_relaxed);
  if (first == 0 || now <= first) return {};
  CpuUsage u;
  u.user_ns = c.user_ns.load(std::memory_order_relaxed);
  u.idle_ns = c.idle_ns.load(std::memory_order_relaxed);
  const std::uint64_t idle_since = c.idle_since.load(std::memory_order_relaxed);
  if (idle_since != 0 && now > idle_since) u.idle_ns += now - idle_since;
  const std::uint64_t elapsed = now - first;
  // The rest is the kernel's; the three are read apart, so clamp rather than underflow.
  u.system_ns = elapsed > u.user_ns + u.idle_ns ? elapsed - u.user_ns - u.idle_ns : 0;
  return u;
}

}  // namespace kproc
