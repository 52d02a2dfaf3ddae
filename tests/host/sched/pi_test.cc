// Priority inheritance of sched::Mutex on the host SMP machine. The classic inversion: a
// fair-class owner L and a real-time CPU hog M pinned to the same CPU (M never lets L run),
// and a high-priority H on another CPU that needs L's mutex. With inheritance H lends L its
// priority, L preempts the hog and unlocks, and H gets the mutex while the hog still spins;
// a lock without inheritance (a semaphore used as one) leaves H waiting until it gives up.
// Outcomes are checked, not times: every wait is bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

#include "host_machine.h"
#include "sched/run_queue.h"
#include "sched/sync/mutex.h"
#include "sched/sync/semaphore.h"
#include "sched_test_util.h"

namespace {

using sched::Mutex;
using sched::SchedPolicy;
using sched::Semaphore;
using sched::Thread;
using sched::test::HostMachine;
using sched::test::pinned_params;

constexpr std::uint64_t kMs = 1'000'000;

// The inherited priority the runqueue applies to `t`, read under its runqueue lock.
int applied(HostMachine& m, const Thread& t) {
  for (;;) {
    const platform::CpuNumber cpu = t.cpu.load(std::memory_order_relaxed);
    sched::RunQueue& rq = m.scheduler().runqueue(cpu);
    smp::Guard g{rq.lock};
    if (t.cpu.load(std::memory_order_relaxed) == cpu) return t.pi_priority;
  }
}

void run(HostMachine& m) {
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); }, std::chrono::seconds(120));
  m.shutdown();
}

// The runqueue-level operation: a queued fair thread boosted to RT is picked before the
// other fair threads; unboosted, it is fair again, with its lag.
TEST(PriorityInheritance, RunqueueRequeuesAQueuedThread) {
  sched::RunQueue rq;
  Thread idle, a, b;
  sched::test::make_thread(idle, 0);
  sched::test::make_thread(a, 1);
  sched::test::make_thread(b, 2);
  smp::Guard g{rq.lock};
  rq.init(idle);
  rq.activate(a, sched::Join::kStart, 0);
  rq.activate(b, sched::Join::kStart, 0);
  EXPECT_TRUE(rq.set_inherited_priority(b, 40, 0));  // idle is current: b should run
  EXPECT_TRUE(b.is_realtime());
  EXPECT_EQ(b.rt.priority, 40);
  EXPECT_EQ(rq.rt().count(), 1u);
  EXPECT_EQ(rq.fair().count(), 1u);
  EXPECT_EQ(rq.nr_running(), 2u);
  Thread* first = rq.pick_next();
  EXPECT_EQ(first, &b);
  rq.set_curr(*first, 0);
  // Running and unboosted: back in the fair class; a queued fair thread does not preempt it.
  EXPECT_FALSE(rq.set_inherited_priority(b, sched::kNoInheritedPriority, 0));
  EXPECT_FALSE(b.is_realtime());
  EXPECT_EQ(rq.rt().count(), 0u);
  rq.put_prev(b, false);
  EXPECT_EQ(rq.fair().count(), 2u);
  EXPECT_EQ(rq.nr_running(), 2u);
}

struct Inversion {
  std::atomic<bool> owner_locked{false};
  std::atomic<bool> hog_running{false};
  std::atomic<bool> hog_stop{false};
  std::atomic<bool> h_done{false};
  std::atomic<bool> h_acquired{false};
  std::atomic<bool> h_acquired_while_hog_ran{false};
  std::atomic<int> owner_boost{-2};
  std::atomic<int> owner_after_unlock{-2};
};

// The hog: RT 50 on CPU 1, spins (polling: the host's preemption point) until told to stop or
// its own deadline on the scheduler's clock.
void hog(HostMachine& m, Inversion& v) {
  v.hog_running.store(true, std::memory_order_release);
  const std::uint64_t deadline = m.clock_ns() + 3'000 * kMs;
  while (!v.hog_stop.load(std::memory_order_acquire) && m.clock_ns() < deadline) m.poll();
}

TEST(PriorityInheritance, HighWaiterGetsTheMutexPastAnRtHog) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Mutex mu;
  Inversion v;
  Thread& low = m.create(pinned_params("low-owner", 1), [&] {
    Thread& self = *m.scheduler().current();
    mu.lock();
    v.owner_locked.store(true, std::memory_order_release);
    const std::uint64_t deadline = m.clock_ns() + 5'000 * kMs;
    while (!mu.has_waiters() && m.clock_ns() < deadline) m.poll();
    v.owner_boost.store(applied(m, self), std::memory_order_relaxed);
    mu.unlock();
    v.owner_after_unlock.store(applied(m, self), std::memory_order_relaxed);
  });
  m.start(low);
  m.wait_until([&] { return v.owner_locked.load(); }, [&] { m.tick_all(); });
  Thread& h = m.create(pinned_params("high", 0, SchedPolicy::kFifo, 80), [&] {
    while (!v.hog_running.load(std::memory_order_acquire)) m.poll();
    if (mu.try_lock_until(m.clock_ns() + 2'000 * kMs)) {
      v.h_acquired_while_hog_ran.store(!v.hog_stop.load(std::memory_order_acquire),
                                       std::memory_order_relaxed);
      v.h_acquired.store(true, std::memory_order_relaxed);
      mu.unlock();
    }
    v.hog_stop.store(true, std::memory_order_release);
  });
  Thread& hg = m.create(pinned_params("hog", 1, SchedPolicy::kFifo, 50), [&] { hog(m, v); });
  m.start(hg);
  m.start(h);
  run(m);
  EXPECT_TRUE(v.h_acquired.load());
  EXPECT_TRUE(v.h_acquired_while_hog_ran.load());
  EXPECT_EQ(v.owner_boost.load(), 80);
  EXPECT_EQ(v.owner_after_unlock.load(), sched::kNoInheritedPriority);
  EXPECT_FALSE(low.is_realtime());
  EXPECT_TRUE(bugs.reports().empty());
}

// The same scenario with a lock that lends nothing: the owner never runs while the hog spins,
// so H's bounded wait times out. This is what inheritance prevents (and shows the scenario
// really starves the owner).
TEST(PriorityInheritance, WithoutInheritanceTheOwnerStarves) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Semaphore lock(1);
  Inversion v;
  std::atomic<bool> owner_ran_during_wait{false};
  Thread& low = m.create(pinned_params("low-owner", 1), [&] {
    lock.down();
    v.owner_locked.store(true, std::memory_order_release);
    const std::uint64_t deadline = m.clock_ns() + 5'000 * kMs;
    while (!v.h_done.load(std::memory_order_acquire) && m.clock_ns() < deadline) {
      if (v.hog_running.load(std::memory_order_acquire) &&
          !v.hog_stop.load(std::memory_order_acquire)) {
        owner_ran_during_wait.store(true, std::memory_order_relaxed);
      }
      m.poll();
    }
    lock.up();
  });
  m.start(low);
  m.wait_until([&] { return v.owner_locked.load(); }, [&] { m.tick_all(); });
  Thread& h = m.create(pinned_params("high", 0, SchedPolicy::kFifo, 80), [&] {
    while (!v.hog_running.load(std::memory_order_acquire)) m.poll();
    if (lock.down_until(m.clock_ns() + 50 * kMs)) {
      v.h_acquired.store(true, std::memory_order_relaxed);
      lock.up();
    }
    v.hog_stop.store(true, std::memory_order_release);
    v.h_done.store(true, std::memory_order_release);
  });
  Thread& hg = m.create(pinned_params("hog", 1, SchedPolicy::kFifo, 50), [&] { hog(m, v); });
  m.start(hg);
  m.start(h);
  run(m);
  EXPECT_FALSE(v.h_acquired.load());
  EXPECT_FALSE(owner_ran_during_wait.load());
  EXPECT_TRUE(bugs.reports().empty());
}

// A chain: H waits for M1, owned by T2, which waits for M2, owned by T1. H's priority reaches
// T1 through T2; T1 preempts the hog on its CPU, and the chain unwinds.
TEST(PriorityInheritance, ChainOfTwoMutexes) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Mutex m1, m2;
  Inversion v;
  std::atomic<bool> t2_locked_m1{false};
  std::atomic<int> t1_boost{-2}, t1_after{-2}, t2_boost{-2}, t2_after{-2};
  Thread& t1 = m.create(pinned_params("t1", 1), [&] {
    Thread& self = *m.scheduler().current();
    m2.lock();
    v.owner_locked.store(true, std::memory_order_release);
    const std::uint64_t deadline = m.clock_ns() + 5'000 * kMs;
    while (!m1.has_waiters() && m.clock_ns() < deadline) m.poll();  // until H waits
    t1_boost.store(applied(m, self), std::memory_order_relaxed);
    m2.unlock();
    t1_after.store(applied(m, self), std::memory_order_relaxed);
  });
  m.start(t1);
  m.wait_until([&] { return v.owner_locked.load(); }, [&] { m.tick_all(); });
  Thread& t2 = m.create(pinned_params("t2", 0), [&] {
    Thread& self = *m.scheduler().current();
    m1.lock();
    t2_locked_m1.store(true, std::memory_order_release);
    m2.lock();  // blocks: t1 owns it
    t2_boost.store(applied(m, self), std::memory_order_relaxed);  // H still waits on m1
    m2.unlock();
    m1.unlock();
    t2_after.store(applied(m, self), std::memory_order_relaxed);
  });
  m.start(t2);
  m.wait_until([&] { return t2_locked_m1.load() && m2.has_waiters(); }, [&] { m.tick_all(); });
  Thread& hg = m.create(pinned_params("hog", 1, SchedPolicy::kFifo, 50), [&] { hog(m, v); });
  m.start(hg);
  m.wait_until([&] { return v.hog_running.load(); }, [&] { m.tick_all(); });
  Thread& h = m.create(pinned_params("high", 0, SchedPolicy::kFifo, 80), [&] {
    if (m1.try_lock_until(m.clock_ns() + 2'000 * kMs)) {
      v.h_acquired_while_hog_ran.store(!v.hog_stop.load(std::memory_order_acquire),
                                       std::memory_order_relaxed);
      v.h_acquired.store(true, std::memory_order_relaxed);
      m1.unlock();
    }
    v.hog_stop.store(true, std::memory_order_release);
  });
  m.start(h);
  run(m);
  EXPECT_TRUE(v.h_acquired.load());
  EXPECT_TRUE(v.h_acquired_while_hog_ran.load());
  EXPECT_EQ(t1_boost.load(), 80);
  EXPECT_EQ(t1_after.load(), sched::kNoInheritedPriority);
  EXPECT_EQ(t2_boost.load(), 80);
  EXPECT_EQ(t2_after.load(), sched::kNoInheritedPriority);
  EXPECT_TRUE(bugs.reports().empty());
}

// Unlocking one of two contended mutexes leaves the owner with what the other's waiters lend:
// 80 and 60 wait, unlock the 80 one -> 60, unlock the other -> its own class again.
TEST(PriorityInheritance, UnlockKeepsTheRemainingWaitersPriority) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Mutex ma, mb;
  std::atomic<bool> locked{false};
  std::atomic<int> both{-2}, after_a{-2}, after_b{-2};
  Thread& owner = m.create(pinned_params("owner", 1), [&] {
    Thread& self = *m.scheduler().current();
    ma.lock();
    mb.lock();
    locked.store(true, std::memory_order_release);
    const std::uint64_t deadline = m.clock_ns() + 5'000 * kMs;
    // A waiter sets the bit, then lends its priority in the same mutex-pi critical section:
    // wait for both bits and for the boost (bounded), then record what was reached. The
    // unlocks take the mutex-pi lock, so they see both waiters fully queued.
    while (!(ma.has_waiters() && mb.has_waiters() && applied(m, self) == 80) &&
           m.clock_ns() < deadline) {
      m.poll();
    }
    both.store(applied(m, self), std::memory_order_relaxed);
    ma.unlock();
    after_a.store(applied(m, self), std::memory_order_relaxed);
    mb.unlock();
    after_b.store(applied(m, self), std::memory_order_relaxed);
  });
  m.start(owner);
  m.wait_until([&] { return locked.load(); }, [&] { m.tick_all(); });
  auto waiter = [&](Mutex& mu) {
    mu.lock();
    mu.unlock();
  };
  Thread& h80 = m.create(pinned_params("h80", 0, SchedPolicy::kFifo, 80), [&] { waiter(ma); });
  Thread& h60 = m.create(pinned_params("h60", 0, SchedPolicy::kFifo, 60), [&] { waiter(mb); });
  m.start(h80);
  m.start(h60);
  run(m);
  EXPECT_EQ(both.load(), 80);
  EXPECT_EQ(after_a.load(), 60);
  EXPECT_EQ(after_b.load(), sched::kNoInheritedPriority);
  EXPECT_FALSE(owner.is_realtime());
  EXPECT_TRUE(bugs.reports().empty());
}

// A deadlock cycle with deadlines: T1 owns A and waits for B, T2 owns B and waits for A.
// Lending around the cycle ends (each step only raises priorities, and the walk is bounded),
// both timed locks give up, and once everything is unlocked nobody keeps a lent priority.
TEST(PriorityInheritance, DeadlockCycleTimesOutAndUndoesTheBoosts) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Mutex a, b;
  std::atomic<std::uint32_t> locked{0};
  std::atomic<std::uint32_t> timed_out{0};
  std::atomic<int> after[2] = {-2, -2};
  auto body = [&](std::uint32_t me, Mutex& mine, Mutex& theirs) {
    Thread& self = *m.scheduler().current();
    mine.lock();
    locked.fetch_add(1, std::memory_order_acq_rel);
    while (locked.load(std::memory_order_acquire) < 2) m.poll();
    if (!theirs.try_lock_until(m.clock_ns() + 30 * kMs)) {
      timed_out.fetch_add(1, std::memory_order_relaxed);
    } else {
      theirs.unlock();
    }
    mine.unlock();
    after[me].store(applied(m, self), std::memory_order_relaxed);
  };
  Thread& t1 = m.create(pinned_params("t1", 0, SchedPolicy::kFifo, 30), [&] { body(0, a, b); });
  Thread& t2 = m.create(pinned_params("t2", 1, SchedPolicy::kFifo, 40), [&] { body(1, b, a); });
  m.start(t1);
  m.start(t2);
  run(m);
  // At least one gives up (the other may then get the mutex before its own deadline).
  EXPECT_GE(timed_out.load(), 1u);
  EXPECT_EQ(after[0].load(), sched::kNoInheritedPriority);
  EXPECT_EQ(after[1].load(), sched::kNoInheritedPriority);
  EXPECT_EQ(a.owner(), nullptr);
  EXPECT_EQ(b.owner(), nullptr);
  EXPECT_FALSE(a.has_waiters());
  EXPECT_FALSE(b.has_waiters());
  EXPECT_TRUE(bugs.reports().empty());
}

}  // namespace
