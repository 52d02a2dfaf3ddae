// The seam between the blocking primitives (sched/sync/) and the scheduler they block on
// (sched/current_scheduler.h), and what the primitives took over from the kernel's former
// wrappers: the installed scheduler and its hand-back, deadlines from timeouts, misuse reports,
// and the preemption point after every wake-up (a woken thread that should run on the waker's
// CPU runs before the waker's call returns). Outcomes only, no times; every wait is bounded
// (HostMachine::wait_until aborts with every thread's state).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "host_machine.h"
#include "sched/current_scheduler.h"
#include "sched/sync/completion.h"
#include "sched/sync/condition_variable.h"
#include "sched/sync/mutex.h"
#include "sched/sync/semaphore.h"
#include "sched_test_util.h"

namespace {

using sched::BugKind;
using sched::Completion;
using sched::ConditionVariable;
using sched::Mutex;
using sched::SchedPolicy;
using sched::Semaphore;
using sched::Thread;
using sched::ThreadState;
using sched::test::HostMachine;
using sched::test::pinned_params;

constexpr std::uint64_t kMs = 1'000'000;

void run(HostMachine& m) {
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); }, std::chrono::seconds(120));
  m.shutdown();
}

// ---- The installed scheduler ------------------------------------------------------------------

TEST(CurrentScheduler, MachinesAndScopesInstallTheirsAndGiveTheOldOneBack) {
  HostMachine a(1);
  EXPECT_EQ(&sched::current_scheduler(), &a.scheduler());
  {
    HostMachine b(2);
    EXPECT_EQ(&sched::current_scheduler(), &b.scheduler());
    // A scheduler a test builds by hand.
    sched::RunQueue rq[1];
    sched::Scheduler own(rq, 1, sched::SchedulerHooks{});
    {
      sched::ScopedScheduler use(own);
      EXPECT_EQ(&sched::current_scheduler(), &own);
    }
    EXPECT_EQ(&sched::current_scheduler(), &b.scheduler());
  }
  EXPECT_EQ(&sched::current_scheduler(), &a.scheduler());
}

TEST(CurrentScheduler, DeadlineAfterATimeoutSaturates) {
  HostMachine m(1);
  m.use_manual_clock();
  m.advance_clock(1'000);
  EXPECT_EQ(sched::deadline_after(0), 1'000u);
  EXPECT_EQ(sched::deadline_after(500), 1'500u);
  EXPECT_EQ(sched::deadline_after(sched::kNoDeadline - 1'001), sched::kNoDeadline - 1);
  EXPECT_EQ(sched::deadline_after(sched::kNoDeadline - 1'000), sched::kNoDeadline);
  EXPECT_EQ(sched::deadline_after(sched::kNoDeadline), sched::kNoDeadline);
}

// The kernel reads the running thread in one step through this hook (its GS pointer).
TEST(CurrentScheduler, CurrentThreadHookAnswersForTheScheduler) {
  Thread t;
  sched::SchedulerHooks hooks;
  hooks.current = [](void* context) { return static_cast<Thread*>(context); };
  hooks.context = &t;
  sched::RunQueue rq[1];
  sched::Scheduler s(rq, 1, hooks);
  EXPECT_EQ(s.current(), &t);
}

// ---- Misuse is reported, and the call does nothing ------------------------------------------

TEST(SyncMisuse, RecursiveLockAndForeignUnlockAreReported) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  Mutex mu;
  ConditionVariable cv;
  std::atomic<bool> relocked{true}, relocked_for{true}, owner_locked{false}, foreign_done{false};
  std::atomic<bool> foreign_waited{true};
  std::atomic<bool> owner_kept{false};
  std::atomic<Thread*> owner_thread{nullptr}, foreign_thread{nullptr};
  Thread& owner = m.create(pinned_params("owner", 0), [&] {
    owner_thread.store(m.scheduler().current(), std::memory_order_relaxed);
    mu.lock();
    relocked.store(mu.try_lock_until(sched::kNoDeadline), std::memory_order_relaxed);
    relocked_for.store(mu.try_lock_for(kMs), std::memory_order_relaxed);
    owner_locked.store(true, std::memory_order_release);
    while (!foreign_done.load(std::memory_order_acquire)) m.poll();
    owner_kept.store(mu.owner() == m.scheduler().current(), std::memory_order_relaxed);
    mu.unlock();
  });
  Thread& foreign = m.create(pinned_params("foreign", 1), [&] {
    foreign_thread.store(m.scheduler().current(), std::memory_order_relaxed);
    while (!owner_locked.load(std::memory_order_acquire)) m.poll();
    mu.unlock();  // not ours: reported, the owner keeps it
    foreign_waited.store(cv.wait_for(mu, kMs), std::memory_order_relaxed);  // the same
    foreign_done.store(true, std::memory_order_release);
  });
  m.start(owner);
  m.start(foreign);
  run(m);
  EXPECT_FALSE(relocked.load());
  EXPECT_FALSE(relocked_for.load());
  EXPECT_FALSE(foreign_waited.load());
  EXPECT_TRUE(owner_kept.load());
  EXPECT_EQ(mu.owner(), nullptr);
  EXPECT_FALSE(mu.has_waiters());
  const auto reports = bugs.reports();
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports[0].kind, BugKind::kMutexRecursive);
  EXPECT_EQ(reports[0].thread, owner_thread.load());
  EXPECT_EQ(reports[1].kind, BugKind::kMutexRecursive);
  EXPECT_EQ(reports[2].kind, BugKind::kMutexNotOwner);
  EXPECT_EQ(reports[2].thread, foreign_thread.load());
  EXPECT_EQ(reports[3].kind, BugKind::kMutexNotOwner);
  EXPECT_EQ(reports[3].thread, foreign_thread.load());
}

// ---- The preemption point after a wake-up ----------------------------------------------------
//
// One CPU: a fair waker and a FIFO thread asleep in the primitive. The wake-up makes the FIFO
// thread the one to run here; the waker's call must switch to it before returning, so the waker
// sees it has run right after the call (it reaches no other preemption point in between).

enum class Primitive { kSemaphore, kMutex, kConditionVariable, kCompletion };

struct WakeOrder {
  bool woken_ran_first = false;
  std::uint32_t bugs = 0;
};

WakeOrder wake_on_one_cpu(Primitive kind) {
  sched::test::BugRecorder bugs;
  HostMachine m(1);
  m.boot();
  Semaphore sem(0);
  Mutex mu;
  ConditionVariable cv;
  Completion done;
  std::atomic<bool> waker_ready{false}, woken_ran{false}, seen{false};
  std::atomic<Thread*> woken{nullptr};
  Thread& waker = m.create(pinned_params("waker", 0), [&] {
    if (kind == Primitive::kMutex) mu.lock();
    waker_ready.store(true, std::memory_order_release);
    // Until the FIFO thread (which preempts us once started) is asleep in the primitive.
    for (;;) {
      Thread* w = woken.load(std::memory_order_acquire);
      if (w != nullptr && w->state.load(std::memory_order_acquire) == ThreadState::kBlocked) break;
      m.poll();
    }
    switch (kind) {
      case Primitive::kSemaphore: sem.up(); break;
      case Primitive::kMutex: mu.unlock(); break;
      case Primitive::kConditionVariable: cv.notify_one(); break;
      case Primitive::kCompletion: done.complete(); break;
    }
    seen.store(woken_ran.load(std::memory_order_acquire), std::memory_order_relaxed);
  });
  m.start(waker);
  m.wait_until([&] { return waker_ready.load(std::memory_order_acquire); }, [&] { m.tick_all(); });
  Thread& fifo = m.create(pinned_params("woken", 0, SchedPolicy::kFifo, 10), [&] {
    switch (kind) {
      case Primitive::kSemaphore: sem.down(); break;
      case Primitive::kMutex:
        mu.lock();
        mu.unlock();
        break;
      case Primitive::kConditionVariable:
        mu.lock();
        cv.wait(mu);
        mu.unlock();
        break;
      case Primitive::kCompletion: done.wait(); break;
    }
    woken_ran.store(true, std::memory_order_release);
  });
  woken.store(&fifo, std::memory_order_release);
  m.start(fifo);
  run(m);
  return WakeOrder{seen.load(), static_cast<std::uint32_t>(bugs.reports().size())};
}

class SyncPreemptionPoint : public ::testing::TestWithParam<Primitive> {};

TEST_P(SyncPreemptionPoint, TheWokenThreadRunsBeforeTheWakerReturns) {
  const WakeOrder r = wake_on_one_cpu(GetParam());
  EXPECT_TRUE(r.woken_ran_first);
  EXPECT_EQ(r.bugs, 0u);
}

INSTANTIATE_TEST_SUITE_P(EveryWakeUp, SyncPreemptionPoint,
                         ::testing::Values(Primitive::kSemaphore, Primitive::kMutex,
                                           Primitive::kConditionVariable,
                                           Primitive::kCompletion),
                         [](const ::testing::TestParamInfo<Primitive>& info) {
                           switch (info.param) {
                             case Primitive::kSemaphore: return "SemaphoreUp";
                             case Primitive::kMutex: return "MutexUnlock";
                             case Primitive::kConditionVariable: return "NotifyOne";
                             case Primitive::kCompletion: return "Complete";
                           }
                           return "Unknown";
                         });

}  // namespace

// ---- KickBatch (sched/scheduler.h) ---------------------------------------------------------

namespace {

// A hand-built scheduler whose running thread is `self` and whose kicks are recorded in order.
struct KickRecorder {
  Thread self;
  std::vector<std::uint32_t> kicks;

  sched::SchedulerHooks hooks() {
    sched::SchedulerHooks h;
    h.current = [](void* c) { return &static_cast<KickRecorder*>(c)->self; };
    h.kick = [](platform::CpuNumber cpu, void* c) {
      static_cast<KickRecorder*>(c)->kicks.push_back(platform::to_index(cpu));
    };
    h.context = this;
    return h;
  }
};

}  // namespace

// A waker that wakes under a lock opens a batch first: the kicks of its wake-ups go out when the
// outermost batch closes (after the lock), once per CPU; without a batch they go out at once.
TEST(KickBatch, KicksGoOutOnceEachWhenTheOutermostBatchCloses) {
  KickRecorder seen;
  sched::RunQueue rq[3];
  sched::Scheduler s(rq, 3, seen.hooks());
  const std::uint32_t preempt_before = platform::preempt_count();
  {
    sched::KickBatch outer{s};
    EXPECT_EQ(platform::preempt_count(), preempt_before + 1);  // the kicks go out on close
    s.request_resched(platform::CpuNumber{2});
    {
      sched::KickBatch inner{s};
      s.request_resched(platform::CpuNumber{1});
      s.request_resched(platform::CpuNumber{2});
    }
    EXPECT_TRUE(seen.kicks.empty()) << "the inner batch sent the outer one's kicks";
    EXPECT_TRUE(rq[1].need_resched.load() && rq[2].need_resched.load());
  }
  EXPECT_EQ(seen.kicks, (std::vector<std::uint32_t>{2, 1}));  // in the order noted
  EXPECT_EQ(seen.self.kick_batch.load(), nullptr);
  EXPECT_EQ(platform::preempt_count(), preempt_before);
  s.request_resched(platform::CpuNumber{1});
  EXPECT_EQ(seen.kicks, (std::vector<std::uint32_t>{2, 1, 1}));  // no batch open: at once
}

// A batch holds a few CPUs; the kicks for more go out at once, none is lost or sent twice.
TEST(KickBatch, KicksBeyondItsSlotsGoOutAtOnce) {
  KickRecorder seen;
  sched::RunQueue rq[8];
  sched::Scheduler s(rq, 8, seen.hooks());
  {
    sched::KickBatch batch{s};
    for (std::uint32_t cpu = 1; cpu < 8; ++cpu) s.request_resched(platform::CpuNumber{cpu});
    s.request_resched(platform::CpuNumber{1});  // noted already
    EXPECT_EQ(seen.kicks, (std::vector<std::uint32_t>{5, 6, 7}));
  }
  EXPECT_EQ(seen.kicks, (std::vector<std::uint32_t>{5, 6, 7, 1, 2, 3, 4}));
}

// Without the `current` hook (host machines poll) a batch defers nothing.
TEST(KickBatch, WithoutTheCurrentHookKicksGoOutAtOnce) {
  static std::uint32_t kicks = 0;
  kicks = 0;
  sched::SchedulerHooks hooks;
  hooks.kick = [](platform::CpuNumber, void*) { ++kicks; };
  sched::RunQueue rq[2];
  sched::Scheduler s(rq, 2, hooks);
  sched::KickBatch batch{s};
  s.request_resched(platform::CpuNumber{1});
  EXPECT_EQ(kicks, 1u);
}
