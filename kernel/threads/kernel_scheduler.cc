#include "kernel/threads/kernel_scheduler.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "smp/klib/format.h"
#include "kernel/core/panic.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/cpus/cpus.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/ipi/reschedule.h"
#include "kernel/mm/mm.h"
#include "kernel/time/clock.h"
#include "kernel/time/lapic_timer.h"
#include "sched/current_scheduler.h"
#include "smp/platform/platform.h"

namespace kthreads {
namespace {

// An AP waits this long after its release for the boot CPU to publish the scheduler; the boot
// CPU does so right after the bring-up, so only a broken boot gets near it.
constexpr std::uint64_t kApWaitNs = 10'000'000'000;

std::atomic<bool> g_requested{false};
// Tickless idle (`nohz=off` turns it off). Written by the boot CPU before the scheduler starts
// (published with g_ready), read by every CPU's idle loop and tick.
bool g_nohz = true;
// Set (release) once g_scheduler, g_runqueues and g_idle are built; APs acquire it.
std::atomic<bool> g_ready{false};
std::atomic<std::uint32_t> g_online{0};
// g_entered[cpu]: that CPU has entered its idle loop (set once, relaxed: a report, not a
// synchronisation).
std::atomic<bool>* g_entered = nullptr;

alignas(sched::Scheduler) unsigned char g_scheduler_storage[sizeof(sched::Scheduler)];
sched::Scheduler* g_scheduler = nullptr;
sched::RunQueue* g_runqueues = nullptr;
sched::Thread* g_idle = nullptr;
std::uint32_t g_count = 0;

void on_bug(const sched::BugReport& r, void*) {
  panic("sched: {} on cpu {}: thread {:p} '{}' {} -> {}", sched::bug_kind_name(r.kind), r.cpu,
        static_cast<const void*>(r.thread), r.thread ? r.thread->name : "-",
        sched::state_name(r.from), sched::state_name(r.to));
}

// ---- Hooks (sched/scheduler.h) ------------------------------------------------------------

void kick(platform::CpuNumber cpu, void*) {
  // The reschedule IPI (kernel/cpus/ipi/reschedule.h): its handler needs no scheduler hook, the
  // interrupt return below checks need_resched, and an idle CPU's hlt ends. The IPI service
  // orders our earlier stores (the enqueue, need_resched) before the ICR write.
  kcpus::send_reschedule(cpu);
}

// The earliest deadline in this CPU's timer queue (sleepers and timed waits). Interrupts off.
std::uint64_t next_timer_event() {
  return g_runqueues[arch::current_cpu_index()].timers.next_deadline();
}

// Halts since this CPU last found work, per CPU (written by that CPU with interrupts off).
std::uint32_t g_quiet_halts[smp::kMaxCpus];

void idle_wait(const std::atomic<bool>& need_resched, void*) {
  // A CPU idle for long gives its cached free frames back (kernel/mm/frame_cache.h).
  mm::frame_cache_idle();
  arch::cli();
  std::uint32_t& quiet_halts = g_quiet_halts[arch::current_cpu_index()];
  if (need_resched.load(std::memory_order_relaxed)) {
    quiet_halts = 0;
    arch::sti();
    return;
  }
  // Tickless idle: the periodic tick stops and a one-shot is armed for this CPU's next timer
  // event (its timer queue; the watchdog bounds the sleep through ktime). Work that arrives
  // meanwhile comes as an interrupt (a reschedule IPI from a waker or the idle balancer kick,
  // a cross-CPU call), which ends the halt; the tick restarts below, or in before_switch if the
  // interrupt's return switches straight to a thread.
  // Not on the first halt after work, though: that one keeps the periodic tick, and only an
  // idle that outlasts a tick (a halt that ends without work) stops it. A CPU woken again
  // within the tick, as each side of a cross-CPU ping-pong is, then reprograms no timer: two
  // to five LAPIC register writes per idle period saved (as Linux's menu governor keeps the
  // tick when it predicts a short idle).
  const bool tickless =
      g_nohz && quiet_halts > 0 && ktime::tick_idle_stop(next_timer_event());
  ++quiet_halts;
  // Only hlt (C1): the LAPIC timer keeps running there with or without ARAT, so the one-shot
  // armed above is sure to wake us. A deeper idle state (MWAIT C-state hints) would need
  // ktime::always_running_timer() or another wake-up source (lapic_timer.h).
  // sti's one-instruction shadow makes "sti; hlt" atomic: a reschedule IPI that arrives after
  // the check above is taken once hlt has started, so it ends the halt instead of being lost.
  asm volatile("sti; hlt" : : : "memory");
  if (tickless) {
    arch::cli();
    ktime::tick_idle_restart();
    arch::sti();
  }
}

SwitchHook g_switch_hook = nullptr;  // atomic builtins: set once, read on every switch

void before_switch(sched::Thread* from, sched::Thread* to, void*) {
  // Interrupts are off (schedule_internal): this CPU stays this CPU until the switch.
  arch::set_current_thread_raw(to);
  if (SwitchHook hook = __atomic_load_n(&g_switch_hook, __ATOMIC_ACQUIRE)) hook(from, to);
  // The idle thread may be switched away from in the return of the interrupt that ended its
  // tickless halt, before idle_wait restarts the tick: a thread must never run without it.
  ktime::tick_idle_restart();
  // This CPU found work: its next idle starts with a halt that keeps the tick (idle_wait).
  const std::uint32_t cpu = arch::current_cpu_index();
  if (from == &g_idle[cpu]) g_quiet_halts[cpu] = 0;
}

std::uint64_t now_ns(void*) { return ktime::now_ns(); }

sched::Thread* current_thread(void*) { return current(); }

// The idle balancer kick (Linux's nohz_balancer_kick): tickless idle CPUs no longer tick, so
// they no longer steal or balance on their own. A CPU with threads waiting behind its current
// one wakes one idle CPU that could take one of them (affinity and on-CPU checked under this
// CPU's runqueue lock), every kBalanceEveryTicks ticks; the woken CPU steals in its idle loop.
void kick_idle_stealer(std::uint32_t self) {
  if (!g_nohz || ktime::timer_ticks() % sched::kBalanceEveryTicks != 0) return;
  sched::RunQueue& rq = g_runqueues[self];
  if (rq.published_load().nr_running < 2) return;
  platform::CpuNumber target = sched::kNoCpu;
  {
    smp::Guard g{rq.lock};
    for (std::uint32_t i = 1; i < g_count && target == sched::kNoCpu; ++i) {
      const platform::CpuNumber c{(self + i) % g_count};
      if (ktime::tick_idle_stopped(platform::to_index(c)) && rq.find_migratable(c) != nullptr) {
        target = c;
      }
    }
  }
  if (target != sched::kNoCpu) kcpus::send_reschedule(target);
}

void on_tick() {
  if (arch::current_thread_raw() == nullptr) return;  // this CPU is not in the scheduler
  g_scheduler->tick();
  expire_sleepers();
  kick_idle_stealer(arch::current_cpu_index());
}

bool this_cpu_need_resched() {
  // Interrupts are off in both callers: the CPU number stays valid.
  return g_runqueues[arch::current_cpu_index()].need_resched.load(std::memory_order_relaxed);
}

// Starts this CPU's share of the periodic tick (the watchdog may share it). Interrupts off.
void start_tick(std::uint32_t cpu) {
  if (!ktime::tick_start(ktime::TickUser::kScheduler, kTickNs)) {
    klog::warn("sched: cpu {}: no LAPIC timer tick; threads here run until they block", cpu);
  }
}

// Common part of every AP's entry: runs with interrupts off on the CPU itself.
[[noreturn]] void enter(std::uint32_t cpu) {
  sched::Thread& idle = g_idle[cpu];
  g_scheduler->init_cpu(idle);
  arch::set_current_thread_raw(&idle);
  g_online.fetch_add(1, std::memory_order_relaxed);
  g_entered[cpu].store(true, std::memory_order_relaxed);
  start_tick(cpu);
  arch::sti();
  g_scheduler->idle_loop(nullptr, nullptr);
  panic("sched: idle loop returned");
}

}  // namespace

void set_switch_hook(SwitchHook hook) { __atomic_store_n(&g_switch_hook, hook, __ATOMIC_RELEASE); }

// ---- The two preemption points (weak hooks called by the dispatcher and preempt_enable) ----

// Interrupt return (kernel/interrupts/dispatch.cc), after irq_exit and the
// EOI, interrupts off, on the interrupted thread's own stack. Preempts only a context that was
// preemptible: interrupts on in the interrupted frame and preemption count 0.
extern "C" void ksched_interrupt_exit(arch::InterruptFrame* frame) {
  if ((frame->rflags & arch::kRflagsIf) == 0) return;
  if (arch::current_thread_raw() == nullptr) return;
  if (platform::preempt_count() != 0 || platform::in_interrupt()) return;
  if (!this_cpu_need_resched()) return;
  // schedule() switches with interrupts off and comes back here with them off; the iretq that
  // follows restores the interrupted IF.
  g_scheduler->schedule();
}

// preempt_enable() (kernel/platform/locking_kernel.cc) when the count reached 0.
extern "C" void ksched_preempt_point() {
  if (!platform::irqs_enabled() || arch::current_thread_raw() == nullptr) return;
  bool resched;
  {
    // Interrupts off (not a preempt guard: its preempt_enable would call us again).
    const platform::IrqState s = platform::irq_save_disable();
    resched = this_cpu_need_resched();
    platform::irq_restore(s);
  }
  if (resched && platform::preempt_count() == 0) g_scheduler->schedule();
}

void preempt_point() { ksched_preempt_point(); }
bool need_resched_here() { return this_cpu_need_resched(); }

void request() { g_requested.store(true, std::memory_order_relaxed); }
void set_tickless_idle(bool on) { g_nohz = on; }
bool tickless_idle() { return g_nohz; }
bool requested() { return g_requested.load(std::memory_order_relaxed); }
bool running() { return g_ready.load(std::memory_order_acquire); }
sched::Scheduler& scheduler() { return *g_scheduler; }
std::uint32_t cpu_count() { return g_count; }
std::uint32_t online_cpu_count() { return g_online.load(std::memory_order_relaxed); }

void start_boot_cpu(void (*main)(void*), void* arg) {
  arch::cli();
  g_count = platform::cpu_count();
  g_runqueues = new (std::nothrow) sched::RunQueue[g_count];
  g_idle = new (std::nothrow) sched::Thread[g_count];
  g_entered = new (std::nothrow) std::atomic<bool>[g_count];
  if (g_runqueues == nullptr || g_idle == nullptr || g_entered == nullptr ||
      !init_sleep_queues(g_count)) {
    panic("sched: no memory for {} runqueues", g_count);
  }
  sched::SchedulerHooks hooks;
  hooks.kick = &kick;
  hooks.idle_wait = &idle_wait;
  hooks.before_switch = &before_switch;
  hooks.now_ns = &now_ns;
  hooks.current = &current_thread;
  g_scheduler = new (g_scheduler_storage) sched::Scheduler(g_runqueues, g_count, hooks);
  // The blocking primitives (sched/sync/) block on it from now on.
  (void)sched::install_scheduler(g_scheduler);
  sched::set_bug_handler(&on_bug, nullptr);
  for (std::uint32_t c = 0; c < g_count; ++c) g_entered[c].store(false, std::memory_order_relaxed);
  if (!ktime::add_tick_hook(&on_tick)) panic("sched: no free timer tick hook slot");
  // Release: the APs waiting in enter_on_ap see everything built above. They wait halted:
  // wake each.
  g_ready.store(true, std::memory_order_release);
  for (std::uint32_t c = 1; c < g_count; ++c) {
    if (kcpus::cpu_online(platform::CpuNumber{c})) kcpus::send_reschedule(platform::CpuNumber{c});
  }

  g_scheduler->init_cpu(g_idle[0]);
  arch::set_current_thread_raw(&g_idle[0]);
  g_online.fetch_add(1, std::memory_order_relaxed);
  g_entered[0].store(true, std::memory_order_relaxed);
  // The boot CPU's remaining work, as a thread that may block and be preempted; pinned so that
  // code written for "the boot CPU" stays true.
  ThreadOptions opts;
  opts.name = "main";
  opts.affinity.add(platform::CpuNumber{0});
  auto t = create_thread(opts, main, arg);
  if (!t) panic("sched: cannot create the main thread: {}", t.error());
  klog::info("sched: started on cpu 0 ({} CPUs, tick {} us, tickless idle {})", g_count,
             kTickNs / 1000, g_nohz ? "on" : "off (nohz=off)");
  if (const std::uint32_t borrowed = ktime::timers_on_boot_rate()) {
    klog::warn("sched: {} CPUs tick at the boot CPU's LAPIC timer rate (their own calibration "
               "did not agree)", borrowed);
  }
  start_tick(0);
  arch::sti();
  g_scheduler->idle_loop(nullptr, nullptr);
  panic("sched: idle loop returned");
}

bool enter_on_ap() {
  if (!requested()) return false;
  const std::uint64_t deadline = ktime::now_ns() + kApWaitNs;
  // The wait is halted, not spinning: the boot CPU sends every online AP a reschedule IPI once
  // the scheduler is ready, a cross-CPU call's IPI ends a halt too, and the tick (started here,
  // as enter() would) bounds each halt so the deadline is still checked. Spinning, the APs that
  // had joined took the host CPUs from those still joining and from the boot CPU when the CPUs
  // are virtual: 16 virtual CPUs on 2 host cores took 200-460 ms from the release to the last
  // join, with most APs seen joined at one instant (docs/smp.md, "Bring-up stages").
  start_tick(arch::current_cpu_index());
  while (!g_ready.load(std::memory_order_acquire)) {
    // Interrupts are off until we enter: serve cross-CPU calls and TLB shootdowns meanwhile
    // (the watchdog arms its tick here, and a shootdown must not wait for us).
    kcpus::serve_call_queue();
    if (ktime::now_ns() > deadline) {
      klog::warn("sched: cpu {}: scheduler not started within 10 s; plain idle loop",
                 arch::current_cpu_index());
      return false;
    }
    // Interrupts off since the look at g_ready: a wake-up sent after it stays pending, and
    // sti's one-instruction shadow makes "sti; hlt" atomic, so it ends the halt.
    if (!g_ready.load(std::memory_order_acquire)) asm volatile("sti; hlt; cli" : : : "memory");
  }
  arch::cli();
  enter(arch::current_cpu_index());
}

bool wait_for_cpus(std::uint64_t timeout_ns) {
  const std::uint64_t start = ktime::now_ns();
  const std::uint64_t deadline = start + timeout_ns;
  for (;;) {
    std::uint32_t online = 0;
    std::uint32_t missing = 0;
    for (std::uint32_t c = 0; c < g_count; ++c) {
      if (!kcpus::cpu_online(platform::CpuNumber{c})) continue;
      ++online;
      if (!g_entered[c].load(std::memory_order_relaxed)) ++missing;
    }
    const std::uint64_t now = ktime::now_ns();
    if (missing == 0) {
      klog::info("sched: all {} online CPUs entered the scheduler ({} ms after the start)",
                 online, (now - start) / 1'000'000);
      return true;
    }
    if (now > deadline) {
      char list[256];
      fmt::FixedBuffer out(list, sizeof(list));
      for (std::uint32_t c = 0; c < g_count; ++c) {
        if (kcpus::cpu_online(platform::CpuNumber{c}) && !g_entered[c].load(std::memory_order_relaxed)) {
          fmt::format_to(out, " {}", c);
        }
      }
      klog::error("sched: {} of {} online CPUs did not enter the scheduler within {} ms: cpu{}{}; "
                  "carrying on without them", missing, online, timeout_ns / 1'000'000, list,
                  out.truncated() ? " ..." : "");
      return false;
    }
    sleep_for(kTickNs);
  }
}

}  // namespace kthreads
