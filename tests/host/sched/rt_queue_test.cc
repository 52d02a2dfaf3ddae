#include "sched/rt_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "sched/run_queue.h"
#include "sched_test_util.h"

namespace {

using sched::RtEntity;
using sched::RtQueue;

TEST(RtQueue, PicksHighestPriorityFifoWithinPriority) {
  RtQueue q;
  EXPECT_EQ(q.pick(), nullptr);
  EXPECT_EQ(q.highest_priority(), -1);
  std::vector<RtEntity> es(8);
  const int prios[] = {10, 99, 10, 0, 63, 64, 99, 1};
  for (std::size_t i = 0; i < es.size(); ++i) {
    es[i].priority = static_cast<std::uint8_t>(prios[i]);
    q.enqueue(es[i]);
  }
  // Expected pick order: 99 (es[1], es[6]), 64, 63, 10 (es[0], es[2]), 1, 0.
  const int order[] = {1, 6, 5, 4, 0, 2, 7, 3};
  for (int idx : order) {
    RtEntity* e = q.pick();
    ASSERT_EQ(e, &es[idx]);
    EXPECT_EQ(q.highest_priority(), prios[idx]);
    q.dequeue(*e);
  }
  EXPECT_EQ(q.count(), 0u);
  EXPECT_EQ(q.pick(), nullptr);
}

TEST(RtQueue, HeadInsertAndOrderWalk) {
  RtQueue q;
  RtEntity a, b, c, low;
  a.priority = b.priority = c.priority = 50;
  low.priority = 3;
  q.enqueue(a);
  q.enqueue(b);
  q.enqueue(c, /*at_head=*/true);
  q.enqueue(low);
  std::vector<RtEntity*> walk;
  for (RtEntity* e = q.pick(); e; e = q.next_in_order(e)) walk.push_back(e);
  EXPECT_EQ(walk, (std::vector<RtEntity*>{&c, &a, &b, &low}));
  q.dequeue(a);
  q.dequeue(c);
  q.dequeue(b);
  EXPECT_EQ(q.highest_priority(), 3);
}

TEST(RtQueue, PriorityAboveRangeIsClamped) {
  RtQueue q;
  RtEntity e;
  e.priority = 200;
  q.enqueue(e);
  EXPECT_EQ(q.highest_priority(), 99);
  q.dequeue(e);
}

// ---- The two classes on one runqueue ------------------------------------------------------

using sched::Join;
using sched::RunQueue;
using sched::SchedPolicy;
using sched::Thread;
using sched::test::make_thread;

TEST(RunQueueClasses, RealtimeWakeupPreemptsFairAndRunsFirst) {
  RunQueue rq;
  Thread idle, f1, f2, f3, rt_low, rt_high;
  smp::Guard g{rq.lock};
  rq.init(idle);
  make_thread(f1, 1, -20);  // even the heaviest fair thread
  make_thread(f2, 2);
  make_thread(rt_low, 3, 0, SchedPolicy::kFifo, 1);
  make_thread(rt_high, 4, 0, SchedPolicy::kFifo, 90);
  rq.activate(f1, Join::kStart, 0);
  rq.activate(f2, Join::kStart, 0);
  rq.set_curr(*rq.pick_next(), 0);
  ASSERT_EQ(rq.curr(), &f1);

  rq.activate(rt_low, Join::kWakeup, 1000);
  EXPECT_TRUE(rq.wakeup_preempts(rt_low));
  rq.put_prev(f1, false);
  rq.set_curr(*rq.pick_next(), 1000);
  EXPECT_EQ(rq.curr(), &rt_low);

  // A fair wake-up never preempts RT; a higher RT one does.
  make_thread(f3, 5, -20);
  rq.activate(f3, Join::kWakeup, 2000);
  EXPECT_FALSE(rq.wakeup_preempts(f3));
  rq.activate(rt_high, Join::kWakeup, 2000);
  EXPECT_TRUE(rq.wakeup_preempts(rt_high));
  rq.put_prev(rt_low, false);  // preempted FIFO thread: back at the head of its priority
  EXPECT_EQ(rq.pick_next(), &rt_high);
  rq.set_curr(rt_high, 3000);

  // While any RT thread is runnable, ticks never hand the CPU to the fair class.
  std::uint64_t now = 3000;
  for (int i = 0; i < 1000; ++i) {
    now += 1'000'000;
    EXPECT_FALSE(rq.tick(now)) << "FIFO at the top priority keeps the CPU";
  }
  EXPECT_EQ(f2.fair.sum_exec_ns + f3.fair.sum_exec_ns, 0u);
}

TEST(RunQueueClasses, RoundRobinRotatesAmongEqualsOnSliceExpiry) {
  RunQueue rq;
  Thread idle, a, b;
  smp::Guard g{rq.lock};
  rq.init(idle);
  make_thread(a, 1, 0, SchedPolicy::kRoundRobin, 20);
  make_thread(b, 2, 0, SchedPolicy::kRoundRobin, 20);
  rq.activate(a, Join::kStart, 0);
  rq.activate(b, Join::kStart, 0);
  rq.set_curr(*rq.pick_next(), 0);
  std::vector<Thread*> runs;
  std::uint64_t now = 0;
  for (int i = 0; i < 60; ++i) {
    now += 1'000'000;
    if (rq.tick(now)) {
      rq.put_prev(*rq.curr(), false);
      rq.set_curr(*rq.pick_next(), now);
      runs.push_back(rq.curr());
    }
  }
  // 10 ms quantum: a switch every 10 ticks, alternating.
  ASSERT_GE(runs.size(), 5u);
  for (std::size_t i = 1; i < runs.size(); ++i) EXPECT_NE(runs[i], runs[i - 1]);
}

}  // namespace
