// In-kernel tests of the scheduler (it runs by default; e.g. `test=sched* qemu_exit`).
// Every wait is bounded: threads are joined against a deadline, and a thread still running
// then is reported as the failure (a lost wake-up or a starved thread).
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/ktest/interrupts_on.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"
#include "kernel/time/lapic_timer.h"
#include "sched/sync/condition_variable.h"
#include "sched/sync/mutex.h"
#include "sched/sync/semaphore.h"
#include "smp/locks/preempt.h"
#include "smp/platform/platform.h"

namespace kthreads {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

std::uint32_t this_cpu() {
  // A snapshot: the thread may move right after, which is what the tests record.
  return arch::current_cpu_index();
}

std::uint64_t cpu_bit(std::uint32_t cpu) { return cpu < 64 ? 1ull << cpu : 0; }

// Joins `n` threads against one deadline; returns how many were joined.
std::uint32_t join_all(KThread** ts, std::uint32_t n, std::uint64_t timeout_ns) {
  const std::uint64_t deadline = ktime::now_ns() + timeout_ns;
  std::uint32_t joined = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (ts[i] == nullptr) continue;
    const std::uint64_t now = ktime::now_ns();
    if (join(ts[i], now < deadline ? deadline - now : 0)) {
      ts[i] = nullptr;
      ++joined;
    }
  }
  return joined;
}

// ---- Stress: 256 threads sleeping, yielding, locking, signalling, migrating ----------------

constexpr std::uint32_t kStressThreads = 256;
constexpr std::uint32_t kStressRounds = 4;  // each round: sleep, yield, lock, signal

struct Stress {
  sched::Mutex mutex;
  sched::ConditionVariable cv;
  std::uint64_t counter = 0;           // guarded by mutex
  std::uint32_t inside = 0;            // guarded by mutex: must be 0 on entry
  std::atomic<std::uint32_t> overlaps{0};
  std::atomic<std::uint32_t> finished{0};
  sched::Semaphore pair[kStressThreads / 2];
  struct PerThread {
    std::uint32_t index = 0;
    std::int32_t pinned = -1;
    std::atomic<std::uint64_t> cpus{0};
    std::atomic<std::uint32_t> rounds{0};
  } t[kStressThreads];
};
Stress* g_stress = nullptr;

void stress_body(void* arg) {
  Stress& s = *g_stress;
  auto& me = *static_cast<Stress::PerThread*>(arg);
  auto note = [&] { me.cpus.fetch_or(cpu_bit(this_cpu()), std::memory_order_relaxed); };
  note();
  for (std::uint32_t r = 0; r < kStressRounds; ++r) {
    sleep_for(((me.index * 7 + r * 13) % 3) * kMs);  // 0..2 ms
    note();
    scheduler().yield();
    note();
    {
      sched::MutexGuard g(s.mutex);
      if (s.inside++ != 0) s.overlaps.fetch_add(1, std::memory_order_relaxed);
      ++s.counter;
      for (int spin = 0; spin < 64; ++spin) platform::cpu_relax();  // widen the window
      --s.inside;
      s.cv.notify_all();
    }
    note();
    // Pairs: the even thread signals, the odd one waits (a lost wake-up hangs it).
    sched::Semaphore& sem = s.pair[me.index / 2];
    if (me.index % 2 == 0) {
      sem.up();
    } else {
      sem.down();
    }
    note();
    me.rounds.fetch_add(1, std::memory_order_relaxed);
  }
  s.finished.fetch_add(1, std::memory_order_relaxed);
}

KTEST(sched_stress_256_threads) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  static KThread* threads[kStressThreads];
  g_stress = new Stress;
  Stress& s = *g_stress;
  const std::uint32_t cpus = online_cpu_count();
  const std::uint64_t t0 = ktime::now_ns();
  for (std::uint32_t i = 0; i < kStressThreads; ++i) {
    s.t[i].index = i;
    ThreadOptions o;
    o.name = "stress";
    o.nice = static_cast<int>(i % 5) - 2;
    if (i % 16 == 5) {  // some pinned threads: they must never run elsewhere
      s.t[i].pinned = static_cast<std::int32_t>(nth_online_cpu((i / 16) % cpus));
      o.affinity = smp::CpuSet::only(static_cast<std::uint32_t>(s.t[i].pinned));
    }
    auto t = create_thread(o, &stress_body, &s.t[i]);
    KCHECK(static_cast<bool>(t));
    threads[i] = t.value();
  }
  // A waiter on the condition variable, woken by the lockers' notifications.
  {
    sched::MutexGuard g(s.mutex);
    const std::uint64_t deadline = ktime::now_ns() + 8'000 * kMs;
    // Bounded: every notify re-checks; the stress keeps notifying until the last round.
    while (s.counter < kStressThreads * kStressRounds / 2 && ktime::now_ns() < deadline) {
      s.cv.wait(s.mutex);
    }
  }
  const std::uint32_t joined = join_all(threads, kStressThreads, 8'000 * kMs);
  const std::uint64_t elapsed = ktime::now_ns() - t0;
  std::uint32_t migrated = 0;
  std::uint32_t misplaced = 0;
  for (std::uint32_t i = 0; i < kStressThreads; ++i) {
    const std::uint64_t mask = s.t[i].cpus.load();
    if ((mask & (mask - 1)) != 0) ++migrated;  // more than one bit
    if (s.t[i].pinned >= 0 && mask != cpu_bit(static_cast<std::uint32_t>(s.t[i].pinned))) {
      ++misplaced;
    }
  }
  klog::info("sched stress: {} threads x {} rounds on {} CPUs in {} ms: {} migrated, "
             "counter {}, {} finished", kStressThreads, kStressRounds, cpus, elapsed / kMs,
             migrated, s.counter, s.finished.load());
  KCHECK_EQ(joined, kStressThreads);  // else some thread is stuck: lost wake-up or starvation
  KCHECK_EQ(s.finished.load(), kStressThreads);
  KCHECK_EQ(s.counter, std::uint64_t{kStressThreads} * kStressRounds);
  KCHECK_EQ(s.overlaps.load(), 0u);
  KCHECK_EQ(misplaced, 0u);
  for (auto& sem : s.pair) KCHECK_EQ(sem.count(), 0u);
  if (cpus > 1) KCHECK(migrated > 0);
  delete g_stress;
  g_stress = nullptr;
}

// ---- Ping-pong across two CPUs ---------------------------------------------------------------

constexpr std::uint32_t kPingRounds = 500;

struct PingPong {
  sched::Semaphore ping, pong;
  std::uint32_t cpu[2] = {};
  std::atomic<std::uint64_t> mask[2] = {};
  std::atomic<std::uint32_t> rounds[2] = {};
};
PingPong* g_pp = nullptr;

void ping_body(void*) {
  PingPong& p = *g_pp;
  for (std::uint32_t i = 0; i < kPingRounds; ++i) {
    p.ping.up();
    p.pong.down();
    p.mask[0].fetch_or(cpu_bit(this_cpu()), std::memory_order_relaxed);
    p.rounds[0].fetch_add(1, std::memory_order_relaxed);
  }
}

void pong_body(void*) {
  PingPong& p = *g_pp;
  for (std::uint32_t i = 0; i < kPingRounds; ++i) {
    p.ping.down();
    p.mask[1].fetch_or(cpu_bit(this_cpu()), std::memory_order_relaxed);
    p.rounds[1].fetch_add(1, std::memory_order_relaxed);
    p.pong.up();
  }
}

KTEST(sched_ping_pong_two_cpus) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  if (online_cpu_count() < 2) KSKIP("needs two CPUs");
  g_pp = new PingPong;
  g_pp->cpu[0] = 0;
  g_pp->cpu[1] = last_online_cpu();
  KThread* ts[2];
  ThreadOptions o;
  o.name = "ping";
  o.affinity = smp::CpuSet::only(g_pp->cpu[0]);
  auto a = create_thread(o, &ping_body, nullptr);
  o.name = "pong";
  o.affinity = smp::CpuSet::only(g_pp->cpu[1]);
  auto b = create_thread(o, &pong_body, nullptr);
  KCHECK(static_cast<bool>(a) && static_cast<bool>(b));
  ts[0] = a.value();
  ts[1] = b.value();
  KCHECK_EQ(join_all(ts, 2, 5'000 * kMs), 2u);
  KCHECK_EQ(g_pp->rounds[0].load(), kPingRounds);
  KCHECK_EQ(g_pp->rounds[1].load(), kPingRounds);
  KCHECK_EQ(g_pp->mask[0].load(), cpu_bit(g_pp->cpu[0]));
  KCHECK_EQ(g_pp->mask[1].load(), cpu_bit(g_pp->cpu[1]));
  delete g_pp;
}

// ---- Pinned threads never run elsewhere --------------------------------------------------

struct Pinned {
  std::uint32_t cpu = 0;
  std::atomic<std::uint64_t> mask{0};
};

void pinned_body(void* arg) {
  auto& p = *static_cast<Pinned*>(arg);
  for (std::uint32_t i = 0; i < 100; ++i) {
    p.mask.fetch_or(cpu_bit(this_cpu()), std::memory_order_relaxed);
    if (i % 25 == 0) sleep_for(kMs);
    scheduler().yield();
  }
}

KTEST(sched_pinned_threads_stay_home) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  constexpr std::uint32_t kPerCpu = 4;
  static Pinned pinned[64 * kPerCpu];
  static KThread* ts[64 * kPerCpu];
  const std::uint32_t cpus = online_cpu_count() < 64 ? online_cpu_count() : 64;
  const std::uint32_t n = cpus * kPerCpu;
  for (std::uint32_t i = 0; i < n; ++i) {
    pinned[i].cpu = nth_online_cpu(i % cpus);
    pinned[i].mask.store(0);
    ThreadOptions o;
    o.name = "pinned";
    o.affinity = smp::CpuSet::only(pinned[i].cpu);
    auto t = create_thread(o, &pinned_body, &pinned[i]);
    KCHECK(static_cast<bool>(t));
    ts[i] = t.value();
  }
  KCHECK_EQ(join_all(ts, n, 5'000 * kMs), n);
  for (std::uint32_t i = 0; i < n; ++i) KCHECK_EQ(pinned[i].mask.load(), cpu_bit(pinned[i].cpu));
}

// ---- Priorities: a real-time thread runs before fair ones -------------------------------------

std::atomic<std::uint32_t> g_order{0};
struct FirstRun {
  std::atomic<std::uint32_t> seq{~0u};
};

void first_run_body(void* arg) {
  static_cast<FirstRun*>(arg)->seq.store(g_order.fetch_add(1), std::memory_order_relaxed);
}

KTEST(sched_rt_runs_before_fair) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  // This thread runs on CPU 0 (the main thread is pinned there); everything below too.
  static FirstRun runs[5];
  KThread* ts[5];
  g_order.store(0);
  for (auto& r : runs) r.seq.store(~0u);
  {
    smp::PreemptGuard no_preempt;  // queue all five before any of them runs
    for (std::uint32_t i = 0; i < 5; ++i) {
      ThreadOptions o;
      o.affinity = smp::CpuSet::only(0);
      if (i == 3) {
        o.name = "rt";
        o.policy = sched::SchedPolicy::kFifo;
        o.rt_priority = 50;
      } else {
        o.name = "fair";
      }
      auto t = create_thread(o, &first_run_body, &runs[i]);
      KCHECK(static_cast<bool>(t));
      ts[i] = t.value();
    }
  }
  KCHECK_EQ(join_all(ts, 5, 2'000 * kMs), 5u);
  KCHECK_EQ(runs[3].seq.load(), 0u);  // the RT thread first, though created fourth

  // An RT thread woken on our CPU preempts us at once: it has run before create returns.
  FirstRun rt;
  ThreadOptions o;
  o.name = "rt-now";
  o.policy = sched::SchedPolicy::kFifo;
  o.rt_priority = 10;
  o.affinity = smp::CpuSet::only(0);
  g_order.store(100);
  auto t = create_thread(o, &first_run_body, &rt);
  KCHECK(static_cast<bool>(t));
  KCHECK_EQ(rt.seq.load(), 100u);
  KThread* one = t.value();
  KCHECK_EQ(join_all(&one, 1, 1'000 * kMs), 1u);
}

// ---- Time slices preempt a busy loop -----------------------------------------------------------

struct Spinner {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint32_t> interleavings{0};  // times the other one ran while we were looping
  Spinner* other = nullptr;
};
std::atomic<bool> g_stop_spinning{false};

void spin_body(void* arg) {
  auto& me = *static_cast<Spinner*>(arg);
  std::uint64_t seen = me.other->count.load(std::memory_order_relaxed);
  // Bounded, but generously: on a loaded emulator the vCPU itself may get little host time.
  const std::uint64_t deadline = ktime::now_ns() + 12'000 * kMs;
  // Never yields or blocks: only the tick can take the CPU away.
  while (!g_stop_spinning.load(std::memory_order_relaxed) && ktime::now_ns() < deadline) {
    me.count.fetch_add(1, std::memory_order_relaxed);
    const std::uint64_t o = me.other->count.load(std::memory_order_relaxed);
    if (o != seen) {
      me.interleavings.fetch_add(1, std::memory_order_relaxed);
      seen = o;
    }
  }
}

KTEST(sched_time_slice_preempts_busy_loop) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  static Spinner a, b;
  a.count = b.count = 0;
  a.interleavings = b.interleavings = 0;
  a.other = &b;
  b.other = &a;
  g_stop_spinning.store(false);
  const std::uint32_t cpu = last_online_cpu();  // both on one CPU
  ThreadOptions o;
  o.name = "spin";
  o.affinity = smp::CpuSet::only(cpu);
  auto ta = create_thread(o, &spin_body, &a);
  auto tb = create_thread(o, &spin_body, &b);
  KCHECK(static_cast<bool>(ta) && static_cast<bool>(tb));
  KThread* ts[2] = {ta.value(), tb.value()};
  // Waits for the outcome (both preempted at least 3 times), not for a rate: bounded at 10 s.
  const std::uint64_t deadline = ktime::now_ns() + 10'000 * kMs;
  while ((a.interleavings.load() < 3 || b.interleavings.load() < 3) && ktime::now_ns() < deadline) {
    sleep_for(5 * kMs);
  }
  g_stop_spinning.store(true);
  KCHECK_EQ(join_all(ts, 2, 14'000 * kMs), 2u);
  // On one CPU, the other's counter moving while we loop means we were preempted.
  KCHECK(a.interleavings.load() >= 3);
  KCHECK(b.interleavings.load() >= 3);
}

// ---- Tickless idle ------------------------------------------------------------------------------
// An idle CPU stops its periodic tick and takes only the timer interrupts its next events need
// (none queued here: the idle sleep limit, 1 s, or the watchdog's check period). The other half,
// that the tick comes back when work arrives, is sched_time_slice_preempts_busy_loop: its two
// spinners go to the last CPU, idle and tickless until then, and need its tick to interleave.

KTEST(sched_tickless_idle_cpu_takes_few_ticks) {
  if (!running()) KSKIP("scheduler not running (booted with nosched)");
  const ktest::InterruptsOn interrupts_on;
  if (online_cpu_count() < 2) KSKIP("needs a CPU that is idle besides this one");
  const std::uint32_t cpu = last_online_cpu();
  constexpr std::uint64_t kWindowNs = 1'500 * kMs;  // longer than the idle sleep limit
  const std::uint64_t ticks_before = ktime::timer_ticks_on(cpu);
  const std::uint64_t stops_before = ktime::tick_idle_stops(cpu);
  const std::uint64_t start = ktime::now_ns();
  sleep_for(kWindowNs);
  const std::uint64_t elapsed = ktime::now_ns() - start;
  const std::uint64_t ticks = ktime::timer_ticks_on(cpu) - ticks_before;
  const std::uint64_t stops = ktime::tick_idle_stops(cpu) - stops_before;
  const std::uint64_t per_second = elapsed == 0 ? 0 : ticks * 1'000'000'000 / elapsed;
  klog::info("tickless: idle cpu {}: {} timer interrupts in {} ms ({}/s; periodic tick {}/s), "
             "tick stopped {} times", cpu, ticks, elapsed / kMs, per_second,
             1'000'000'000 / kTickNs, stops);
  if (!tickless_idle()) KSKIP("booted with nohz=off: the periodic tick runs while idle");
  // Stopped during the window, or stopped before it and not woken inside it (its one-shot, at
  // most 1 s ahead, due after the window: a vCPU descheduled by a loaded host delivers late).
  KCHECK(stops > 0 || ticks == 0);
  // A tenth of the periodic rate: the tick is off, not merely slower (the goal is under 10/s).
  KCHECK(per_second < 1'000'000'000 / kTickNs / 10);
}

}  // namespace
}  // namespace kthreads
