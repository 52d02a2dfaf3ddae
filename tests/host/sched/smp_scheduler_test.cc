// The block/wake protocol, preemption, pinning and directed yield on the host SMP machine:
// host threads as CPUs, real context switches, the same sched/ code as the kernel. No timing
// assertions: every check is a count or an invariant; every wait is bounded (host_machine.h).
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "host_machine.h"
#include "sched/wait_queue.h"
#include "sched_test_util.h"

namespace {

using sched::SchedPolicy;
using sched::Thread;
using sched::ThreadParams;
using sched::WaitQueue;
using sched::test::HostMachine;

// Every thread checks at each resumption that it runs where its affinity allows.
struct PinCheck {
  std::atomic<std::uint64_t> checks{0};
  std::atomic<std::uint64_t> violations{0};
  void check(const Thread& t) {
    checks.fetch_add(1, std::memory_order_relaxed);
    if (!t.affinity.contains(platform::CpuNumber{HostMachine::this_cpu()})) {
      violations.fetch_add(1, std::memory_order_relaxed);
    }
  }
};

TEST(SmpScheduler, PingPongPairsNeverLoseAWakeup) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kCpus = 4, kPairs = 4, kRounds = 600;
  HostMachine m(kCpus);
  m.boot();
  struct Pair {
    std::atomic<int> turn{0};  // 0: ping's turn, 1: pong's
    WaitQueue ping_wq, pong_wq;
    std::atomic<std::uint32_t> ping_rounds{0}, pong_rounds{0};
  };
  std::deque<Pair> pairs(kPairs);
  PinCheck pins;
  std::atomic<std::uint32_t> finished{0};
  for (std::uint32_t p = 0; p < kPairs; ++p) {
    Pair& pr = pairs[p];
    for (int side = 0; side < 2; ++side) {
      ThreadParams params;
      params.name = side == 0 ? "ping" : "pong";
      // Pair 0 is pinned to CPUs 0 and 1; the others float.
      if (p == 0) params.affinity = smp::CpuSet::only(static_cast<std::uint32_t>(side));
      Thread* self = nullptr;
      Thread& t = m.create(params, [&, side, p, self]() mutable {
        WaitQueue& mine = side == 0 ? pr.ping_wq : pr.pong_wq;
        WaitQueue& theirs = side == 0 ? pr.pong_wq : pr.ping_wq;
        self = m.scheduler().current();
        for (std::uint32_t i = 0; i < kRounds; ++i) {
          // Relaxed loads and stores: the wait queue's lock orders the flag (wait_queue.h).
          mine.wait(m.scheduler(), [&] { return pr.turn.load(std::memory_order_relaxed) == side; });
          pins.check(*self);
          (side == 0 ? pr.ping_rounds : pr.pong_rounds).fetch_add(1, std::memory_order_relaxed);
          pr.turn.store(1 - side, std::memory_order_relaxed);
          theirs.wake_one(m.scheduler());
          if (i % 16 == 0) m.poll();
        }
        (void)p;
        finished.fetch_add(1, std::memory_order_relaxed);
      });
      m.start(t);
    }
  }
  std::uint32_t step = 0;
  m.wait_until([&] { return m.all_exited(); },
               [&] {
                 m.tick_all();
                 if (++step % 7 == 0) m.preempt(step % kCpus);
               });
  m.shutdown();
  EXPECT_EQ(finished.load(), 2 * kPairs);
  for (auto& pr : pairs) {
    EXPECT_EQ(pr.ping_rounds.load(), kRounds);
    EXPECT_EQ(pr.pong_rounds.load(), kRounds);
  }
  EXPECT_EQ(pins.checks.load(), 2ull * kPairs * kRounds);
  EXPECT_EQ(pins.violations.load(), 0u);
  EXPECT_TRUE(bugs.reports().empty()) << bugs.reports().size() << " scheduler bug reports";
}

// The window Linux's ttwu_runnable covers: the sleeper has marked itself blocked but not yet
// called schedule() when the wake-up comes. The wake-up must not be lost: schedule() then keeps
// it running. The sleeper holds that window open until the waker is done, so this is exercised
// on every round, not by chance.
TEST(SmpScheduler, WakeBeforeTheSleeperSwitchesIsNotLost) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kRounds = 200;
  HostMachine m(2);
  m.boot();
  std::atomic<std::uint32_t> phase{0};  // round * 2 + 1: sleeper blocked; round * 2 + 2: woken
  std::atomic<std::uint32_t> woken_true{0}, rounds_done{0};
  Thread* sleeper_thread = nullptr;
  ThreadParams ps, pw;
  ps.name = "sleeper";
  ps.affinity = smp::CpuSet::only(0);
  pw.name = "waker";
  pw.affinity = smp::CpuSet::only(1);
  Thread& sleeper = m.create(ps, [&] {
    Thread* self = m.scheduler().current();
    for (std::uint32_t i = 0; i < kRounds; ++i) {
      sched::transition(*self, sched::ThreadState::kRunning, sched::ThreadState::kBlocked);
      // Release: the waker must see kBlocked once it sees the phase.
      phase.store(2 * i + 1, std::memory_order_release);
      while (phase.load(std::memory_order_acquire) != 2 * i + 2) platform::cpu_relax();
      m.scheduler().schedule();  // already woken: must come straight back
      rounds_done.fetch_add(1, std::memory_order_relaxed);
    }
  });
  Thread& waker = m.create(pw, [&] {
    for (std::uint32_t i = 0; i < kRounds; ++i) {
      while (phase.load(std::memory_order_acquire) != 2 * i + 1) m.poll();
      if (m.scheduler().wake(*sleeper_thread)) woken_true.fetch_add(1, std::memory_order_relaxed);
      phase.store(2 * i + 2, std::memory_order_release);
    }
  });
  sleeper_thread = &sleeper;
  m.start(sleeper);
  m.start(waker);
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); }, std::chrono::seconds(60));
  m.shutdown();
  EXPECT_EQ(woken_true.load(), kRounds);
  EXPECT_EQ(rounds_done.load(), kRounds);
  EXPECT_TRUE(bugs.reports().empty());
}

// The race of the on-CPU protocol (docs/scheduling.md): CPU 0 switches away from a sleeper
// slowly (the test hook sleeps 5 ms before the switch saves its registers) while CPU 1 wakes
// it; CPU 0 is busy and CPU 2 idle, so placement sends it to CPU 2. CPU 2 must not run it before
// CPU 0 has saved it: the waker waits for on_cpu to clear. Without that wait, CPU 2 would
// resume a stale context on a stack CPU 0 is still using (and the on-CPU check reports it).
// Once moved the sleeper would stay on CPU 2, so each round is a fresh machine.
TEST(SmpScheduler, WokenThreadIsNotRunElsewhereBeforeItsContextIsSaved) {
  sched::test::BugRecorder bugs;
  constexpr int kMachines = 8;
  int moved = 0;
  for (int round = 0; round < kMachines; ++round) {
    HostMachine m(3);
    m.boot();
    std::atomic<bool> flag{false}, stop_spinner{false}, live_values_ok{false};
    std::atomic<std::uint32_t> ran_on{~0u};
    WaitQueue wq;
    ThreadParams px, ps, pw;
    px.name = "sleeper";
    px.affinity = smp::CpuSet::only(0);
    px.affinity.add(platform::CpuNumber{2});
    ps.name = "spinner";
    ps.affinity = smp::CpuSet::only(0);
    pw.name = "waker";
    pw.affinity = smp::CpuSet::only(1);
    Thread& x = m.create(px, [&] {
      volatile std::uint64_t a = 0x1234, b = 0x5678;  // on the stack across the switch
      std::uint64_t c = a * 3 + b;                     // and in callee-saved registers
      wq.wait(m.scheduler(), [&] { return flag.load(std::memory_order_relaxed); });
      ran_on.store(HostMachine::this_cpu(), std::memory_order_relaxed);
      live_values_ok.store(a == 0x1234 && b == 0x5678 && c == 0x1234 * 3 + 0x5678,
                           std::memory_order_relaxed);
      stop_spinner.store(true, std::memory_order_relaxed);
    });
    Thread& spinner = m.create(ps, [&] {
      while (!stop_spinner.load(std::memory_order_relaxed)) m.poll();
    });
    Thread& w = m.create(pw, [&] {
      // Wait until CPU 0 is in the middle of switching away from the sleeper (off its
      // runqueue, context not saved yet), then wake it.
      while (m.slow_switches() == 0) m.poll();
      flag.store(true, std::memory_order_relaxed);
      wq.wake_one(m.scheduler());
    });
    m.slow_switch_from(&x, 5000);  // 5 ms: long enough for CPU 2 to get a core
    m.start(x);                    // all idle: CPU 0, the lowest allowed
    m.start(spinner);
    m.start(w);
    m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); },
                 std::chrono::seconds(60));
    m.shutdown();
    EXPECT_TRUE(live_values_ok.load()) << "round " << round;
    moved += ran_on.load() == 2;
  }
  EXPECT_GT(moved, 0) << "placement never moved the sleeper: the race was not exercised";
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(SmpScheduler, SemaphoreTokensAllConsumedWithPinnedConsumers) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kCpus = 3, kProducers = 3, kConsumers = 6, kPerProducer = 400;
  constexpr std::uint32_t kPerConsumer = kProducers * kPerProducer / kConsumers;
  HostMachine m(kCpus);
  m.boot();
  std::atomic<std::int64_t> tokens{0};
  WaitQueue wq;
  PinCheck pins;
  std::atomic<std::uint64_t> consumed{0}, produced{0};
  auto take = [&] {
    std::int64_t n = tokens.load(std::memory_order_relaxed);
    // Relaxed CAS: the count is the only shared datum; the wait queue's lock orders the check
    // against a producer's wake_one.
    while (n > 0) {
      if (tokens.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return true;
    }
    return false;
  };
  for (std::uint32_t c = 0; c < kConsumers; ++c) {
    ThreadParams params;
    params.name = "consumer";
    params.affinity = smp::CpuSet::only(c % kCpus);  // every consumer pinned
    Thread& t = m.create(params, [&] {
      Thread* self = m.scheduler().current();
      for (std::uint32_t i = 0; i < kPerConsumer; ++i) {
        wq.wait(m.scheduler(), take);
        pins.check(*self);
        consumed.fetch_add(1, std::memory_order_relaxed);
      }
    });
    m.start(t);
  }
  for (std::uint32_t p = 0; p < kProducers; ++p) {
    ThreadParams params;
    params.name = "producer";
    params.nice = static_cast<int>(p) * 5;  // different weights
    Thread& t = m.create(params, [&] {
      for (std::uint32_t i = 0; i < kPerProducer; ++i) {
        tokens.fetch_add(1, std::memory_order_relaxed);
        produced.fetch_add(1, std::memory_order_relaxed);
        wq.wake_one(m.scheduler());
        m.poll();
      }
    });
    m.start(t);
  }
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); });
  m.shutdown();
  EXPECT_EQ(produced.load(), kProducers * kPerProducer);
  EXPECT_EQ(consumed.load(), kProducers * kPerProducer);
  EXPECT_EQ(tokens.load(), 0);
  EXPECT_EQ(pins.violations.load(), 0u);
  EXPECT_EQ(pins.checks.load(), consumed.load());
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(SmpScheduler, TicksPreemptSpinningThreadsAndBalanceKeepsPins) {
  // 8 CPU-bound threads on 2 CPUs, each spinning until all 8 have started: only tick-driven
  // preemption lets that finish. Half are pinned; every resumption is checked.
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kCpus = 2, kThreads = 8;
  HostMachine m(kCpus);
  m.boot();
  std::atomic<std::uint32_t> started{0};
  PinCheck pins;
  for (std::uint32_t i = 0; i < kThreads; ++i) {
    ThreadParams params;
    params.name = "spinner";
    if (i % 2 == 0) params.affinity = smp::CpuSet::only(i / 2 % kCpus);
    Thread& t = m.create(params, [&] {
      Thread* self = m.scheduler().current();
      started.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t polls = 0;
      while (started.load(std::memory_order_relaxed) < kThreads || polls < 2000) {
        pins.check(*self);
        m.poll();
        ++polls;
      }
    });
    m.start(t);
  }
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); });
  m.shutdown();
  EXPECT_EQ(started.load(), kThreads);
  EXPECT_GT(pins.checks.load(), 0u);
  EXPECT_EQ(pins.violations.load(), 0u);
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(SmpScheduler, RealtimeThreadKeepsItsCpuFromFairThreads) {
  sched::test::BugRecorder bugs;
  HostMachine m(2);
  m.boot();
  std::atomic<std::uint64_t> fair_progress{0};
  std::atomic<bool> rt_done{false};
  std::atomic<std::uint64_t> progress_during_rt{~0ull};
  std::atomic<bool> fair_started{false};
  // Fair threads pinned to CPU 1 count their polls until the RT thread is done.
  for (int i = 0; i < 2; ++i) {
    ThreadParams params;
    params.name = "fair";
    params.affinity = smp::CpuSet::only(1);
    Thread& t = m.create(params, [&] {
      fair_started.store(true, std::memory_order_relaxed);
      while (!rt_done.load(std::memory_order_relaxed)) {
        fair_progress.fetch_add(1, std::memory_order_relaxed);
        m.poll();
      }
    });
    m.start(t);
  }
  ThreadParams rt;
  rt.name = "rt";
  rt.policy = SchedPolicy::kFifo;
  rt.rt_priority = 50;
  rt.affinity = smp::CpuSet::only(1);
  Thread& rt_thread = m.create(rt, [&] {
    std::uint64_t before = fair_progress.load(std::memory_order_relaxed);
    for (int i = 0; i < 20000; ++i) m.poll();  // ticks arrive; FIFO keeps the CPU anyway
    progress_during_rt.store(fair_progress.load(std::memory_order_relaxed) - before);
    rt_done.store(true, std::memory_order_relaxed);
  });
  // Start the RT thread once a fair thread runs on CPU 1: it must preempt it at once.
  m.wait_until([&] { return fair_started.load(); }, [&] { m.tick_all(); });
  m.start(rt_thread);
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); });
  m.shutdown();
  EXPECT_EQ(progress_during_rt.load(), 0u);
  EXPECT_TRUE(bugs.reports().empty());
}

TEST(SmpScheduler, DirectedYieldHandsTheCpuToTheNamedThread) {
  sched::test::BugRecorder bugs;
  constexpr std::uint32_t kRounds = 2000;
  HostMachine m(2);
  m.boot();
  std::atomic<std::uint32_t> mark{0}, seen{~0u};
  std::atomic<bool> done{false};
  std::atomic<std::uint32_t> refused{0}, missed{0};
  Thread* a_thread = nullptr;
  Thread* b_thread = nullptr;
  ThreadParams pa, pb, pc;
  pa.name = "giver";
  pb.name = "receiver";
  pc.name = "bystander";
  pa.affinity = pb.affinity = pc.affinity = smp::CpuSet::only(0);
  Thread& a = m.create(pa, [&] {
    for (std::uint32_t i = 0; i < kRounds; ++i) {
      mark.store(i, std::memory_order_relaxed);
      if (!m.scheduler().yield_to(*b_thread)) {
        refused.fetch_add(1, std::memory_order_relaxed);
      } else if (seen.load(std::memory_order_relaxed) != i) {
        missed.fetch_add(1, std::memory_order_relaxed);  // someone else ran instead of b
      }
    }
    done.store(true, std::memory_order_relaxed);
  });
  Thread& b = m.create(pb, [&] {
    while (!done.load(std::memory_order_relaxed)) {
      seen.store(mark.load(std::memory_order_relaxed), std::memory_order_relaxed);
      if (!m.scheduler().yield_to(*a_thread)) m.poll();  // a not started yet
    }
  });
  // The bystander competes for CPU 0 the whole time, yielding normally.
  Thread& c = m.create(pc, [&] {
    while (!done.load(std::memory_order_relaxed)) {
      m.scheduler().yield();
      m.poll();
    }
  });
  a_thread = &a;
  b_thread = &b;
  m.start(b);
  m.start(c);
  m.start(a);
  m.wait_until([&] { return m.all_exited(); }, [&] { m.tick_all(); });
  m.shutdown();
  EXPECT_EQ(refused.load(), 0u);
  EXPECT_EQ(missed.load(), 0u);
  EXPECT_TRUE(bugs.reports().empty());
}


// The kernel's join starvation (kernel/threads/kthread.cc): a worker, having run long, signals
// its joiner and is preempted right there, still runnable; the joiner, back from sleep with
// positive lag, yields in a loop on the same CPU until the worker is done. The clock stands
// still during the loop (a yield loop that costs no measurable time), so only the yield rule
// can hand the CPU back: before the fix the joiner was picked again forever.
struct JoinOutcome {
  bool joiner_ran_first = false;
  std::uint64_t yields = 0;
};

JoinOutcome run_join_scenario() {
  constexpr std::uint64_t kGiveUp = 200'000;  // yields before the test declares starvation
  HostMachine m(2);
  m.use_manual_clock();
  m.boot();
  std::atomic<bool> advance{true};  // the driver moves the clock 1 ms per step while set
  std::atomic<bool> worker_started{false}, joiner_blocked{false}, signalled{false};
  std::atomic<bool> worker_finished{false}, joiner_ran_first{false};
  std::atomic<std::uint64_t> yields{0};
  WaitQueue wq;
  ThreadParams pw, pj;
  pw.name = "worker";
  pw.affinity = smp::CpuSet::only(0);
  pj.name = "joiner";
  pj.affinity = smp::CpuSet::only(0);
  Thread& worker = m.create(pw, [&] {
    worker_started.store(true, std::memory_order_release);
    // Run while the joiner waits queued (it gains lag), then alone for 50 ms of clock.
    while (!joiner_blocked.load(std::memory_order_acquire)) m.poll();
    std::uint64_t until = m.clock_ns() + 50'000'000;
    while (m.clock_ns() < until) m.poll();
    advance.store(false, std::memory_order_relaxed);
    signalled.store(true, std::memory_order_relaxed);
    wq.wake_all(m.scheduler());
    m.preempt(0);  // preempted right after signalling
    m.poll();
    worker_finished.store(true, std::memory_order_release);
  });
  Thread& joiner = m.create(pj, [&] {
    joiner_blocked.store(true, std::memory_order_release);
    wq.wait(m.scheduler(), [&] { return signalled.load(std::memory_order_relaxed); });
    joiner_ran_first.store(!worker_finished.load(std::memory_order_acquire));
    while (!worker_finished.load(std::memory_order_acquire)) {
      if (yields.fetch_add(1, std::memory_order_relaxed) + 1 == kGiveUp) {
        advance.store(true, std::memory_order_relaxed);  // let time pass so the test ends
      }
      m.scheduler().yield();
    }
  });
  m.start(worker);
  while (!worker_started.load(std::memory_order_acquire)) std::this_thread::yield();
  m.start(joiner);
  m.wait_until([&] { return m.all_exited(); }, [&] {
    if (advance.load(std::memory_order_relaxed)) {
      m.advance_clock(1'000'000);
      m.tick_all();
    }
  }, std::chrono::seconds(60));
  m.shutdown();
  return {joiner_ran_first.load(), yields.load()};
}

// The scenario needs the woken joiner to run before the worker finishes. That depends on the
// lag the joiner gained while queued, which depends on whether the host thread driving the clock
// ticked before the joiner first ran (a joiner picked at once has none, and the worker may then
// keep the CPU through its wake-up: seen 2 times in 300 runs under load). Such a run does not
// test the yield rule, so it is run again, up to 5 times.
TEST(SmpScheduler, JoinerYieldingOnTheWorkersCpuLetsThePreemptedWorkerFinish) {
  sched::test::BugRecorder bugs;
  JoinOutcome outcome;
  for (int attempt = 0; attempt < 5 && !outcome.joiner_ran_first; ++attempt) {
    outcome = run_join_scenario();
  }
  EXPECT_TRUE(outcome.joiner_ran_first) << "the woken joiner preempts the long-running worker";
  EXPECT_LE(outcome.yields, 16u) << "the joiner yielded while the runnable worker never ran";
  EXPECT_TRUE(bugs.reports().empty());
}

}  // namespace
