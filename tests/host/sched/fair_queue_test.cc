// The fair class on one runqueue, driven by a simulated clock: CPU shares follow the weights,
// eligibility and lag behave as EEVDF says (docs/scheduling.md).
#include "sched/fair_queue.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "sched/run_queue.h"
#include "sched_test_util.h"

namespace {

using sched::Join;
using sched::RunQueue;
using sched::Thread;
using sched::test::make_thread;

constexpr std::uint64_t kTick = 1'000'000;  // 1 ms

// Runs the runqueue for `ticks` simulated ticks, preempting when tick() says so.
void simulate(RunQueue& rq, std::uint64_t& now, int ticks) TA_REQ(rq.lock) {
  for (int i = 0; i < ticks; ++i) {
    now += kTick;
    if (rq.tick(now)) {
      Thread* prev = rq.curr();
      if (prev != rq.idle()) rq.put_prev(*prev, false);
      Thread* next = rq.pick_next();
      rq.set_curr(*next, now);
    }
  }
}

void expect_shares_follow_weights(const std::vector<int>& nices) {
  RunQueue rq;
  Thread idle;
  std::deque<Thread> threads(nices.size());
  smp::Guard g{rq.lock};
  rq.init(idle);
  std::uint64_t now = 0;
  std::uint64_t total_weight = 0;
  for (std::size_t i = 0; i < nices.size(); ++i) {
    make_thread(threads[i], i, nices[i]);
    rq.activate(threads[i], Join::kStart, now);
    total_weight += threads[i].fair.weight;
  }
  rq.set_curr(*rq.pick_next(), now);
  simulate(rq, now, 60'000);  // one simulated minute
  std::uint64_t total = 0;
  for (auto& t : threads) total += t.fair.sum_exec_ns;
  // Count the current thread's uncharged time too: nothing is uncharged after a tick.
  EXPECT_GT(total, 0u);
  for (auto& t : threads) {
    double share = double(t.fair.sum_exec_ns) / double(total);
    double ideal = double(t.fair.weight) / double(total_weight);
    EXPECT_NEAR(share / ideal, 1.0, 0.05)
        << "nice " << t.nice << ": share " << share << " ideal " << ideal;
  }
}

TEST(FairQueue, EqualWeightsShareEqually) { expect_shares_follow_weights({0, 0, 0, 0}); }

TEST(FairQueue, SharesFollowWeightRatios) { expect_shares_follow_weights({-5, 0, 0, 3, 5}); }

TEST(FairQueue, LargeWeightSpreadStillWithinFivePercent) {
  expect_shares_follow_weights({-10, 0, 5, 10});
}

TEST(FairQueue, PickIsEarliestDeadlineAmongEligible) {
  // Brute force against the tree walk on random queues.
  std::uint32_t seed = 99;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int round = 0; round < 200; ++round) {
    sched::FairQueue q;
    std::vector<sched::FairEntity> es(1 + rnd() % 40);
    for (auto& e : es) {
      e.weight = sched::weight_of_nice(static_cast<int>(rnd() % 40) - 20);
      e.vruntime = 1'000'000'000ull + rnd() % 10'000'000;
      e.deadline = e.vruntime + rnd() % 20'000'000;
      q.enqueue(e);
    }
    std::uint64_t V = q.avg_vruntime(nullptr);
    const sched::FairEntity* best = nullptr;
    for (auto& e : es) {
      bool eligible = sched::vdiff(e.vruntime, V) <= 0;
      EXPECT_EQ(q.eligible(e, nullptr), eligible);
      if (eligible && (!best || sched::vdiff(e.deadline, best->deadline) < 0)) best = &e;
    }
    ASSERT_NE(best, nullptr) << "someone always has lag >= 0";
    const sched::FairEntity* picked = q.pick(nullptr);
    ASSERT_NE(picked, nullptr);
    EXPECT_EQ(picked->deadline, best->deadline);
    EXPECT_TRUE(q.eligible(*picked, nullptr));
    for (auto& e : es) q.dequeue(e);
    EXPECT_EQ(q.count(), 0u);
    EXPECT_EQ(q.load(), 0u);
  }
}

// ---- pick() against an O(n) reference over random operation sequences ----
//
// The reference knows nothing of the tree, the cached leftmost or the queue's sums: it computes
// V exactly (128-bit sums relative to an arbitrary base) over the queued entities and curr, and
// scans for the eligible entity (v <= V) with the earliest deadline, the earliest enqueued one
// among equal deadlines; with none eligible, the earliest deadline (same tie rule).

struct RefEntity {
  sched::FairEntity e;
  std::uint64_t seq = 0;  // enqueue order, for the tie rule
};

const sched::FairEntity* reference_pick(const std::vector<RefEntity>& pool,
                                        const sched::FairEntity* curr) {
  const RefEntity* any = nullptr;
  for (const auto& r : pool) {
    if (r.e.queued) any = &r;
  }
  if (!any) return nullptr;
  const std::uint64_t base = any->e.vruntime;
  __int128 sum = 0, load = 0;
  auto add = [&](const sched::FairEntity& e) {
    sum += static_cast<__int128>(sched::vdiff(e.vruntime, base)) * e.weight;
    load += e.weight;
  };
  for (const auto& r : pool) {
    if (r.e.queued) add(r.e);
  }
  if (curr) add(*curr);
  auto earlier = [](const RefEntity* a, const RefEntity* b) {
    std::int64_t d = sched::vdiff(a->e.deadline, b->e.deadline);
    return d < 0 || (d == 0 && a->seq < b->seq);
  };
  const RefEntity* best = nullptr;
  const RefEntity* first = nullptr;
  for (const auto& r : pool) {
    if (!r.e.queued) continue;
    if (!first || earlier(&r, first)) first = &r;
    bool eligible = static_cast<__int128>(sched::vdiff(r.e.vruntime, base)) * load <= sum;
    if (eligible && (!best || earlier(&r, best))) best = &r;
  }
  return best ? &best->e : &first->e;
}

// Drives one FairQueue the way the runqueue does (place + enqueue on wake-up, save_lag +
// dequeue on sleep, charge, yield, put back + pick + dequeue on a switch), plus raw enqueues of
// arbitrary vruntimes and copied deadlines (ties), and checks every pick with and without curr.
// Returns the number of picks checked; stops at the first mismatch.
int run_random_sequence(std::mt19937_64& rng, int size, int steps) {
  std::vector<RefEntity> pool(static_cast<std::size_t>(size));
  sched::FairQueue q;
  std::uint64_t seq = 0;
  RefEntity* curr = nullptr;
  // A new queue's V is 0: start near it, on either side of the wrap of the 64-bit virtual time
  // (keys are kept relative to the queue's zero point and must stay small, see enqueue()).
  const std::uint64_t start = (rng() % 2 == 0) ? ~0ull - rng() % 20'000'000'000ull
                                                : rng() % 20'000'000'000ull;
  auto below = [&](std::uint64_t n) { return rng() % n; };
  for (auto& r : pool) {
    r.e.weight = sched::weight_of_nice(static_cast<int>(below(40)) - 20);
    r.e.slice_ns = 100'000 + below(12'000'000);
  }
  auto enqueue = [&](RefEntity& r) {
    q.enqueue(r.e);
    r.seq = seq++;
  };
  auto random_idle = [&]() -> RefEntity* {
    for (int tries = 0; tries < 8; ++tries) {
      RefEntity& r = pool[below(pool.size())];
      if (!r.e.queued && &r != curr) return &r;
    }
    return nullptr;
  };
  auto random_queued = [&]() -> RefEntity* {
    for (int tries = 0; tries < 8; ++tries) {
      RefEntity& r = pool[below(pool.size())];
      if (r.e.queued) return &r;
    }
    return nullptr;
  };
  int checked = 0;
  auto check = [&](const sched::FairEntity* c, const char* what, int step) {
    const sched::FairEntity* want = reference_pick(pool, c);
    const sched::FairEntity* got = q.pick(c);
    ++checked;
    if (got != want) {
      ADD_FAILURE() << what << " at step " << step << " (count " << q.count() << "): picked "
                    << (got ? std::to_string(got->deadline) : "null") << ", reference "
                    << (want ? std::to_string(want->deadline) : "null");
      return false;
    }
    return true;
  };
  for (int step = 0; step < steps; ++step) {
    const sched::FairEntity* c = curr ? &curr->e : nullptr;
    switch (below(8)) {
      case 0:
      case 1: {  // wake-up or start: placed from its lag, then queued
        if (RefEntity* r = random_idle()) {
          if (q.count() == 0 && !curr && seq == 0) {
            r->e.vruntime = start;
            r->e.deadline = start + sched::virtual_delta(r->e.slice_ns, r->e.weight);
          } else {
            q.place(r->e, c, below(3) == 0);
          }
          enqueue(*r);
        }
        break;
      }
      case 2: {  // sleep or migrate away: lag saved, then off the queue
        if (below(4) == 0 && curr) {
          q.save_lag(curr->e, c);
          curr = nullptr;
        } else if (RefEntity* r = random_queued()) {
          q.save_lag(r->e, c);
          q.dequeue(r->e);
        }
        break;
      }
      case 3: {  // raw arrival: arbitrary vruntime near V, deadline maybe equal to another's
        if (RefEntity* r = random_idle()) {
          std::uint64_t v = q.avg_vruntime(c);
          r->e.vruntime = v + below(40'000'000) - 20'000'000;
          r->e.deadline = r->e.vruntime + below(30'000'000);
          if (RefEntity* twin = random_queued(); twin && below(2) == 0) {
            r->e.deadline = twin->e.deadline;  // a tie: the earlier enqueued must win
            if (below(2) == 0) r->e.vruntime = twin->e.vruntime;
          }
          enqueue(*r);
        }
        break;
      }
      case 4: {  // the running entity is charged (a tick, or the time up to a switch)
        if (curr) q.charge(curr->e, below(4) == 0 ? 0 : below(5'000'000));
        break;
      }
      case 5:
      case 6: {  // a switch: curr goes back (maybe yielding), the pick comes off the queue
        if (curr) {
          if (below(4) == 0) q.yield(curr->e);
          enqueue(*curr);
          curr = nullptr;
        }
        if (!check(nullptr, "switch pick", step)) return checked;
        if (sched::FairEntity* next = q.pick(nullptr)) {
          q.dequeue(*next);
          for (auto& r : pool) {
            if (&r.e == next) curr = &r;
          }
        }
        break;
      }
      default:  // a look without a change: with curr counted, and without
        if (!check(c, "pick with curr", step)) return checked;
        if (!check(nullptr, "pick without curr", step)) return checked;
        break;
    }
    if (step % 16 == 0 && !check(c, "periodic pick", step)) return checked;
  }
  return checked;
}

TEST(FairQueue, PickMatchesBruteForceOverRandomOperationSequences) {
  std::mt19937_64 rng(20260601);
  int checked = 0;
  for (int sequence = 0; sequence < 3000 && !HasFailure(); ++sequence) {
    // Mostly small queues (many ties and empty moments), some large ones (deep walks).
    int size = sequence % 10 == 0 ? 200 + static_cast<int>(rng() % 300)
                                  : 1 + static_cast<int>(rng() % 24);
    checked += run_random_sequence(rng, size, 400);
  }
  EXPECT_GT(checked, 300'000);
}

TEST(FairQueue, LagIsKeptAcrossSleepAndBounded) {
  RunQueue rq;
  Thread idle, a, b, sleeper;
  smp::Guard g{rq.lock};
  rq.init(idle);
  std::uint64_t now = 0;
  make_thread(a, 1);
  make_thread(b, 2);
  make_thread(sleeper, 3);
  rq.activate(a, Join::kStart, now);
  rq.activate(b, Join::kStart, now);
  rq.activate(sleeper, Join::kStart, now);
  // Take the sleeper out before it ran: it is owed service (positive lag) once others run.
  rq.set_curr(*rq.pick_next(), now);
  ASSERT_EQ(rq.curr(), &a);  // equal deadlines: first come, first served
  simulate(rq, now, 1);      // a runs 1 ms, less than its first (half) request
  ASSERT_EQ(rq.curr(), &a);
  EXPECT_EQ(sleeper.fair.sum_exec_ns, 0u);
  rq.deactivate(sleeper, now);
  EXPECT_FALSE(sleeper.on_rq.load());
  std::int64_t lag_at_sleep = sleeper.fair.vlag;
  EXPECT_GE(lag_at_sleep, 0);
  simulate(rq, now, 500);
  // Wakes with the same lag: placed at or before V, so it is eligible at once.
  rq.activate(sleeper, Join::kWakeup, now);
  EXPECT_TRUE(rq.fair().eligible(sleeper.fair, &rq.curr()->fair));
  // The limit: about two slices of virtual time.
  sleeper.fair.vlag = 0;
  rq.deactivate(sleeper, now);
  std::int64_t limit = static_cast<std::int64_t>(sched::virtual_delta(2 * sched::kDefaultSliceNs, 1024));
  EXPECT_LE(std::llabs(sleeper.fair.vlag), limit);
}

TEST(FairQueue, ShortSliceThreadWaitsLessBetweenRuns) {
  // Same weight, different request sizes: the short-request thread gets earlier deadlines and
  // so shorter gaps between runs, with the same long-run share (EEVDF's latency knob).
  RunQueue rq;
  Thread idle, hog, quick;
  smp::Guard g{rq.lock};
  rq.init(idle);
  std::uint64_t now = 0;
  make_thread(hog, 1, 0, sched::SchedPolicy::kFair, 0, 12'000'000);
  make_thread(quick, 2, 0, sched::SchedPolicy::kFair, 0, 1'000'000);
  rq.activate(hog, Join::kStart, now);
  rq.activate(quick, Join::kStart, now);
  rq.set_curr(*rq.pick_next(), now);
  std::uint64_t longest_quick_gap = 0, last_quick = 0;
  for (int i = 0; i < 20'000; ++i) {
    now += kTick;
    if (rq.tick(now)) {
      rq.put_prev(*rq.curr(), false);
      rq.set_curr(*rq.pick_next(), now);
    }
    if (rq.curr() == &quick) {
      longest_quick_gap = std::max(longest_quick_gap, now - last_quick);
      last_quick = now;
    }
  }
  EXPECT_LE(longest_quick_gap, 13 * kTick);  // never waits a whole long request plus more
  double share = double(quick.fair.sum_exec_ns) / double(quick.fair.sum_exec_ns + hog.fair.sum_exec_ns);
  EXPECT_NEAR(share, 0.5, 0.05);
}


// ---- Yield and wake-up against a runnable thread that is behind V (kernel join starvation) ----
//
// The kernel saw a joiner on CPU 0 yield in a loop for over a second while the worker it joined,
// preempted right after signalling, stayed runnable on the same CPU and never ran. These drive
// one runqueue the way Scheduler::schedule_internal does (update_curr, put_prev, pick_next,
// set_curr) with a simulated clock, and bound how long the other runnable thread waits.

// One schedule() on the simulated CPU: the current thread stays runnable.
Thread* reschedule(RunQueue& rq, std::uint64_t now, bool yielding) TA_REQ(rq.lock) {
  rq.update_curr(now);
  Thread* prev = rq.curr();
  if (prev != rq.idle()) rq.put_prev(*prev, yielding);
  Thread* next = rq.pick_next();
  rq.set_curr(*next, now);
  return next;
}

// `runner` has run long and is preempted by `yielder`, which woke with positive lag; the
// yielder then yields in a loop costing `ns_per_yield` each. The runner must get the CPU within
// a few yields, however little time a yield takes (EEVDF: a yield gives up the rest of the
// current request, so the yielder's lag goes to <= 0 and the runner becomes eligible).
int yields_until_other_runs(std::uint64_t ns_per_yield, int yielder_nice = 0) {
  RunQueue rq;
  Thread idle, runner, yielder;
  smp::Guard g{rq.lock};
  rq.init(idle);
  std::uint64_t now = 0;
  make_thread(runner, 1);
  make_thread(yielder, 2, yielder_nice);
  rq.activate(runner, Join::kStart, now);
  rq.activate(yielder, Join::kStart, now);
  rq.set_curr(*rq.pick_next(), now);
  simulate(rq, now, 20);  // both run a while
  // The yielder sleeps (joins), the runner runs on alone for a long time.
  if (rq.curr() != &yielder) {
    rq.update_curr(now);
    rq.put_prev(*rq.curr(), false);
    rq.take(yielder);
    rq.set_curr(yielder, now);
  }
  now += 100'000;
  rq.update_curr(now);
  yielder.state.store(sched::ThreadState::kBlocked);
  rq.deactivate(yielder, now);
  rq.set_curr(*rq.pick_next(), now);
  EXPECT_EQ(rq.curr(), &runner);
  simulate(rq, now, 1000);  // one simulated second alone
  // The runner completes the work and wakes the yielder, which preempts it.
  now += 10'000;
  yielder.state.store(sched::ThreadState::kRunnable);
  rq.activate(yielder, Join::kWakeup, now);
  EXPECT_TRUE(rq.fair().eligible(yielder.fair, &runner.fair)) << "a woken sleeper keeps its lag";
  // Preempted right after signalling (wake-up preemption or the next tick): the yielder runs.
  now += 1'000;
  if (reschedule(rq, now, false) != &yielder) {
    ADD_FAILURE() << "the woken sleeper was not picked over the long runner";
    return -1;
  }
  for (int yields = 1; yields <= 100'000; ++yields) {
    now += ns_per_yield;
    if (reschedule(rq, now, true) == &runner) return yields;
  }
  return 100'001;
}

TEST(FairYield, YieldLoopLetsPreemptedRunnableThreadRunAtOnce) {
  // A yield that takes no measurable time (a tight join loop, or a coarse clock).
  EXPECT_LE(yields_until_other_runs(0), 4);
}

TEST(FairYield, CheapYieldsStillHandOverWithinAFewYields) {
  EXPECT_LE(yields_until_other_runs(200), 4);   // 200 ns per yield loop iteration
  EXPECT_LE(yields_until_other_runs(2'000), 4);
}

TEST(FairYield, HeavyYielderStillHandsOver) {
  // A nice -10 joiner against a nice 0 worker: its vruntime moves ~10x slower; yield must still
  // hand the CPU over in a bounded number of yields rather than after ~10x the lag in real time.
  EXPECT_LE(yields_until_other_runs(500, -10), 8);
}

TEST(FairYield, LongRunnerGetsCpuBackAfterWokenSleeperYields) {
  // Pure FairQueue: a runner far ahead of V (it ran alone), a woken sleeper with positive lag.
  // After the sleeper's yield, the runner must be eligible and picked.
  sched::FairQueue q;
  sched::FairEntity runner, sleeper;
  runner.vruntime = 5'000'000'000ull;
  runner.deadline = runner.vruntime + sched::virtual_delta(runner.slice_ns, runner.weight);
  q.enqueue(runner);
  sleeper.vlag = static_cast<std::int64_t>(sched::virtual_delta(2 * sched::kDefaultSliceNs, 1024));
  q.place(sleeper, nullptr, false);
  q.enqueue(sleeper);
  EXPECT_TRUE(q.eligible(sleeper, nullptr));
  EXPECT_FALSE(q.eligible(runner, nullptr));
  EXPECT_EQ(q.pick(nullptr), &sleeper);
  int picks = 0;
  for (; picks < 1000 && q.pick(nullptr) == &sleeper; ++picks) {
    q.dequeue(sleeper);
    q.yield(sleeper);  // as curr: requeued after giving up its request
    q.enqueue(sleeper);
  }
  EXPECT_LE(picks, 4);
  EXPECT_EQ(q.pick(nullptr), &runner);
}

}  // namespace
