// In-kernel tests of the blocking primitives' timed waits and the mutex's priority inheritance
// (boot with `sched`, e.g. `sched test=sync* qemu_exit`). Every wait is bounded; the only time
// checked is the lower bound of a timeout (a wait must not give up before its deadline).
#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/threads/kernel_scheduler.h"
#include "kernel/threads/kthread.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/ktest/interrupts_on.h"
#include "kernel/ktest/ktest.h"
#include "kernel/time/clock.h"
#include "sched/sync/completion.h"
#include "sched/sync/condition_variable.h"
#include "sched/sync/mutex.h"
#include "sched/sync/semaphore.h"

namespace kthreads {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

// ---- Timed waits that time out -----------------------------------------------------------

// Holds the mutex until told to let go (not for a fixed time: a tester's vCPU descheduled by a
// loaded host for longer than that would find it free).
struct Holder {
  sched::Mutex* m;
  std::atomic<bool> release{false};
};

void hold_mutex_body(void* arg) {
  auto* h = static_cast<Holder*>(arg);
  h->m->lock();
  const std::uint64_t limit = ktime::now_ns() + 10'000 * kMs;
  while (!h->release.load(std::memory_order_acquire) && ktime::now_ns() < limit) sleep_for(kMs);
  h->m->unlock();
}

KTEST(sync_timed_waits_time_out) {
  if (!running()) KSKIP("scheduler not running (boot with `sched`)");
  const ktest::InterruptsOn interrupts_on;
  sched::Completion c;
  std::uint64_t t0 = ktime::now_ns();
  KCHECK(!c.wait_for(5 * kMs));
  KCHECK(ktime::now_ns() - t0 >= 5 * kMs);  // not before the deadline

  sched::Semaphore sem(0);
  t0 = ktime::now_ns();
  KCHECK(!sem.down_for(3 * kMs));
  KCHECK(ktime::now_ns() - t0 >= 3 * kMs);
  KCHECK_EQ(sem.count(), 0u);

  sched::Mutex m;
  sched::ConditionVariable cv;
  {
    sched::MutexGuard g(m);
    t0 = ktime::now_ns();
    KCHECK(!cv.wait_for(m, 3 * kMs));
    KCHECK(ktime::now_ns() - t0 >= 3 * kMs);
    KCHECK(m.owner() == current());  // re-taken after the timeout
  }

  // A mutex held by another thread for 100 ms: a 5 ms try fails, and the waiter leaves no
  // trace (the owner unlocks on the fast path, a later lock succeeds at once).
  ThreadOptions o;
  o.name = "holder";
  Holder holder{&m};
  auto h = create_thread(o, &hold_mutex_body, &holder);
  KCHECK(static_cast<bool>(h));
  const std::uint64_t limit = ktime::now_ns() + 2'000 * kMs;
  while (m.owner() == nullptr && ktime::now_ns() < limit) sleep_for(kMs);
  KCHECK(m.owner() != nullptr);
  t0 = ktime::now_ns();
  const bool got = m.try_lock_for(5 * kMs);
  const std::uint64_t waited = ktime::now_ns() - t0;
  if (got) m.unlock();
  holder.release.store(true, std::memory_order_release);
  KCHECK(!got);
  KCHECK(waited >= 5 * kMs);
  KCHECK(!m.has_waiters());
  KCHECK(join(h.value(), 15'000 * kMs));
  KCHECK(m.try_lock());
  m.unlock();
  KCHECK_EQ(sleepers_on(arch::current_cpu_index()), 0u);  // every timer was cancelled
}

// ---- Timed waits woken before their deadline --------------------------------------------

struct Early {
  sched::Completion done;
  sched::Semaphore sem{0};
  std::atomic<std::uint32_t> cpu{0};
};

void early_body(void* arg) {
  auto& e = *static_cast<Early*>(arg);
  for (int i = 0; i < 20; ++i) {
    sleep_for(kMs);
    e.sem.up();
  }
  sleep_for(2 * kMs);
  e.done.complete();
}

KTEST(sync_timed_waits_woken_early) {
  if (!running()) KSKIP("scheduler not running (boot with `sched`)");
  const ktest::InterruptsOn interrupts_on;
  Early e;
  ThreadOptions o;
  o.name = "early";
  // On the last CPU: with several, the wake-up crosses CPUs; with one, it is local.
  o.affinity = smp::CpuSet::only(last_online_cpu());
  auto t = create_thread(o, &early_body, &e);
  KCHECK(static_cast<bool>(t));
  std::uint32_t got = 0;
  for (int i = 0; i < 20; ++i) got += e.sem.down_for(5'000 * kMs) ? 1 : 0;
  KCHECK_EQ(got, 20u);
  KCHECK(e.done.wait_for(5'000 * kMs));
  KCHECK(e.done.done());
  KCHECK(join(t.value(), 5'000 * kMs));
  KCHECK_EQ(sleepers_on(arch::current_cpu_index()), 0u);
}

// ---- Priority inheritance across two CPUs ------------------------------------------------
//
// CPU 1: L (fair) owns the mutex; then a FIFO-50 hog spins there, so L cannot run. CPU 0: H
// (FIFO-80) blocks on the mutex and lends L priority 80 > 50: L preempts the hog, unlocks, and
// H gets the mutex while the hog is still spinning. Without inheritance H would wait for the
// hog's 3 s deadline.

struct Pi {
  sched::Mutex m;
  std::atomic<bool> owner_locked{false};
  std::atomic<bool> hog_running{false};
  std::atomic<bool> hog_stop{false};
  std::atomic<bool> h_acquired{false};
  std::atomic<bool> h_acquired_while_hog_ran{false};
  std::atomic<int> owner_boost_seen{-1};  // L's inherited priority just before unlocking
  std::atomic<int> owner_after_unlock{0};
};

void pi_owner_body(void* arg) {
  auto& p = *static_cast<Pi*>(arg);
  p.m.lock();
  p.owner_locked.store(true, std::memory_order_release);
  // Busy until H waits: the hog takes this CPU meanwhile, only inheritance brings us back.
  const std::uint64_t deadline = ktime::now_ns() + 3'000 * kMs;
  while (!p.m.has_waiters() && ktime::now_ns() < deadline) platform::cpu_relax();
  p.owner_boost_seen.store(current()->pi_priority, std::memory_order_relaxed);
  p.m.unlock();
  p.owner_after_unlock.store(current()->pi_priority, std::memory_order_relaxed);
}

void pi_hog_body(void* arg) {
  auto& p = *static_cast<Pi*>(arg);
  p.hog_running.store(true, std::memory_order_release);
  const std::uint64_t deadline = ktime::now_ns() + 3'000 * kMs;
  while (!p.hog_stop.load(std::memory_order_acquire) && ktime::now_ns() < deadline) {
    platform::cpu_relax();
  }
}

void pi_high_body(void* arg) {
  auto& p = *static_cast<Pi*>(arg);
  if (p.m.try_lock_for(2'000 * kMs)) {
    p.h_acquired_while_hog_ran.store(!p.hog_stop.load(std::memory_order_acquire),
                                     std::memory_order_relaxed);
    p.h_acquired.store(true, std::memory_order_relaxed);
    p.m.unlock();
  }
  p.hog_stop.store(true, std::memory_order_release);
}

KTEST(sync_priority_inheritance_two_cpus) {
  if (!running()) KSKIP("scheduler not running (boot with `sched`)");
  if (online_cpu_count() < 2) KSKIP("needs two CPUs");
  const ktest::InterruptsOn interrupts_on;
  static Pi p;
  p.~Pi();
  new (&p) Pi;
  ThreadOptions o;
  o.name = "pi-owner";
  o.affinity = smp::CpuSet::only(nth_online_cpu(1));  // CPU 1 may have failed to start
  auto l = create_thread(o, &pi_owner_body, &p);
  KCHECK(static_cast<bool>(l));
  std::uint64_t limit = ktime::now_ns() + 2'000 * kMs;
  while (!p.owner_locked.load(std::memory_order_acquire) && ktime::now_ns() < limit) {
    sleep_for(kMs);
  }
  KCHECK(p.owner_locked.load());
  o.name = "pi-hog";
  o.policy = sched::SchedPolicy::kFifo;
  o.rt_priority = 50;
  auto hog = create_thread(o, &pi_hog_body, &p);
  KCHECK(static_cast<bool>(hog));
  limit = ktime::now_ns() + 2'000 * kMs;
  while (!p.hog_running.load(std::memory_order_acquire) && ktime::now_ns() < limit) {
    sleep_for(kMs);
  }
  KCHECK(p.hog_running.load());
  o.name = "pi-high";
  o.rt_priority = 80;
  o.affinity = smp::CpuSet::only(0);
  auto h = create_thread(o, &pi_high_body, &p);
  KCHECK(static_cast<bool>(h));
  KCHECK(join(h.value(), 5'000 * kMs));
  KCHECK(join(hog.value(), 5'000 * kMs));
  KCHECK(join(l.value(), 5'000 * kMs));
  KCHECK(p.h_acquired.load());
  KCHECK(p.h_acquired_while_hog_ran.load());
  KCHECK_EQ(p.owner_boost_seen.load(), 80);
  KCHECK_EQ(p.owner_after_unlock.load(), sched::kNoInheritedPriority);
}

}  // namespace
}  // namespace kthreads
