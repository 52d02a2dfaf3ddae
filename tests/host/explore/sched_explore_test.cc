// The scheduler under the interleaving explorer (docs/explorer.md): the real scheduler on the
// host SMP machine (tests/host/sched/host_machine.h) in explore mode, where every smp::Atomic
// access, lock operation and spin is a point at which the controller may switch CPUs. A
// schedule fails on a scheduler bug report, a crash (a corrupted runqueue tree), or a thread
// that never finishes (a lost wake-up: the schedule then never ends).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdint>

#include "../sched/host_machine.h"
#include "explore_support.h"
#include "sched/sync/semaphore.h"

namespace {

using exploretest::expect_clean;
using sched::Scheduler;
using sched::Thread;
using sched::ThreadParams;
using sched::test::HostMachine;
namespace explore = platform::host::explore;

// Any scheduler bug report ends the schedule as failed, naming the bug.
void fail_on_bug(const sched::BugReport& r, void*) {
  char msg[160];
  std::snprintf(msg, sizeof msg, "scheduler bug: %s on cpu %u: thread %llu %s -> %s",
                sched::bug_kind_name(r.kind), r.cpu,
                static_cast<unsigned long long>(r.thread ? r.thread->id : 0),
                sched::state_name(r.from), sched::state_name(r.to));
  explore::fail(msg);
}

class ExploreScheduler : public ::testing::Test {
 protected:
  void SetUp() override { sched::set_bug_handler(&fail_on_bug, nullptr); }
  void TearDown() override { sched::set_bug_handler(nullptr, nullptr); }

  // Runs `setup` (which creates and starts the threads) on a fresh machine of `cpus` CPUs in
  // each schedule: PCT first, then a random walk, each with half the budget.
  template <typename Setup>
  void explore_machine(std::uint32_t cpus, Setup setup, std::uint64_t steps_hint = 1500) {
    for (explore::Strategy s : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
      explore::Options o;
      o.strategy = s;
      o.steps_hint = steps_hint;
      o.switch_odds = 2;
      HostMachine m(cpus);  // copied into each schedule's child process, never run here
      auto r = explore::search(cpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 2, o,
                               [&](std::uint32_t cpu) { m.explored_cpu(cpu, [&] { setup(m); }); });
      expect_clean(r, 300);
      if (r.found) return;
    }
  }
};

ThreadParams params(const char* name, smp::CpuSet affinity = {}) {
  ThreadParams p;
  p.name = name;
  p.affinity = affinity;
  return p;
}

smp::CpuSet cpus_of(std::initializer_list<std::uint32_t> list) {
  smp::CpuSet s;
  for (std::uint32_t c : list) s.add(platform::CpuNumber{c});
  return s;
}

// A thread pinned to CPU 0 that keeps it busy for a while, then sleeps. With the waker pinned
// to CPU 1, a thread allowed on CPUs 0 and 1 is woken now onto one, now onto the other
// (placement leaves its previous CPU when that one is busy, the waker's own or the hog's, and
// the other idle): the wake-ups below move it between runqueues while a third CPU acts on it.
void start_hog(HostMachine& m) {
  Scheduler& s = m.scheduler();
  Thread& hog = m.create(params("hog", cpus_of({0})), [&m, &s] {
    for (std::uint32_t i = 0; i < 4; ++i) {
      for (std::uint32_t j = 0; j < 6; ++j) {
        m.poll();
        s.yield();
      }
      s.sleep_until(s.now() + 15'000);
    }
  });
  m.start(hog);
}

// A sleeper on CPUs 0-1 woken by a semaphore from CPU 1, by its own timer, or both at once,
// while CPU 2 lends it an RT priority and takes it back (priority inheritance re-queues it
// wherever it is queued).
TEST_F(ExploreScheduler, WakeRacesTimerExpiryAndPriorityInheritance) {
  explore_machine(3, [](HostMachine& m) {
    static sched::Semaphore* sem;
    static Thread* sleeper;
    sem = new sched::Semaphore(0);
    Scheduler& s = m.scheduler();
    start_hog(m);
    sleeper = &m.create(params("sleeper", cpus_of({0, 1})), [&m, &s] {
      for (int i = 0; i < 6; ++i) {
        (void)sem->down_until(s.now() + 20'000);
        m.poll();
      }
    });
    Thread& waker = m.create(params("waker", cpus_of({1})), [&m] {
      for (int i = 0; i < 6; ++i) {
        sem->up();
        m.poll();
      }
    });
    Thread& booster = m.create(params("booster", cpus_of({2})), [&m, &s] {
      for (int i = 0; i < 16; ++i) {
        s.set_inherited_priority(*sleeper, 10);
        m.poll();
        s.set_inherited_priority(*sleeper, sched::kNoInheritedPriority);
        m.poll();
      }
    });
    m.start(*sleeper);
    m.start(waker);
    m.start(booster);
  });
}

// Directed yield from CPU 2 to a thread (allowed on CPUs 0-2, so the yielder may pull it over)
// that blocks and is woken from CPU 1 onto another CPU meanwhile.
TEST_F(ExploreScheduler, YieldToRacesWake) {
  explore_machine(3, [](HostMachine& m) {
    static sched::Semaphore* sem;
    static Thread* target;
    sem = new sched::Semaphore(0);
    Scheduler& s = m.scheduler();
    start_hog(m);
    target = &m.create(params("target", cpus_of({0, 1, 2})), [&m] {
      for (int i = 0; i < 6; ++i) {
        sem->down();
        m.poll();
      }
    });
    Thread& waker = m.create(params("waker", cpus_of({1})), [&m] {
      for (int i = 0; i < 6; ++i) {
        sem->up();
        m.poll();
      }
    });
    Thread& yielder = m.create(params("yielder", cpus_of({2})), [&m, &s] {
      for (int i = 0; i < 24; ++i) {
        (void)s.yield_to(*target);
        m.poll();
      }
    });
    m.start(*target);
    m.start(waker);
    m.start(yielder);
  });
}

// Two pairs ping-pong across CPUs through semaphores (block/wake in both directions) while
// ticks preempt, balance and idle CPUs steal.
TEST_F(ExploreScheduler, PingPongWithMigrationAndStealing) {
  explore_machine(3, [](HostMachine& m) {
    static sched::Semaphore* ping[2];
    static sched::Semaphore* pong[2];
    Scheduler& s = m.scheduler();
    for (int p = 0; p < 2; ++p) {
      ping[p] = new sched::Semaphore(0);
      pong[p] = new sched::Semaphore(0);
      Thread& a = m.create(params("ping"), [&m, p] {
        for (int i = 0; i < 2; ++i) {
          ping[p]->up();
          pong[p]->down();
          m.poll();
        }
      });
      Thread& b = m.create(params("pong"), [&m, &s, p] {
        for (int i = 0; i < 2; ++i) {
          ping[p]->down();
          s.yield();
          pong[p]->up();
          m.poll();
        }
      });
      m.start(a);
      m.start(b);
    }
  });
}

}  // namespace
