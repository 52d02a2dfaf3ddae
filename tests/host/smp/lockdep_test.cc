// Lockdep: order inversions across threads, rank violations, same-class nesting, stalls.
// Each test uses its own lock classes: the class graph is global and only ever grows.
#include <gtest/gtest.h>

#include <thread>

#include "smp/lockdep/lockdep.h"
#include "smp/locks/locks.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

class Lockdep : public locktest::ViolationRecorder {
 protected:
  void SetUp() override {
    if (!smp::kLockdep) GTEST_SKIP() << "PLEIADES_LOCKDEP is off";
    ViolationRecorder::SetUp();
  }
};

constinit smp::LockClass kInvA{"inv-a", smp::LockRank{0}};
constinit smp::LockClass kInvB{"inv-b", smp::LockRank{0}};

TEST_F(Lockdep, InversionAcrossTwoThreadsReportsBothSites) {
  smp::TicketSpinLock<smp::NoIrqSave, kInvA> a;
  smp::McsSpinLock<smp::IrqSave, kInvB> b;
  unsigned a1 = 0, b1 = 0, b2 = 0, a2 = 0;
  std::thread first([&] {
    platform::host::bind_cpu(platform::CpuNumber{1});
    smp::Guard ga{a}; a1 = __LINE__;
    smp::Guard gb{b}; b1 = __LINE__;
  });
  first.join();
  EXPECT_EQ(count(), 0u) << "A then B alone is fine";
  EXPECT_TRUE(smp::lockdep::has_edge(kInvA, kInvB));

  std::thread second([&] {
    platform::host::bind_cpu(platform::CpuNumber{2});
    smp::Guard gb{b}; b2 = __LINE__;
    smp::Guard ga{a}; a2 = __LINE__;
  });
  second.join();
  const auto v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kCycle);
  EXPECT_EQ(v[0].cpu, 2u);
  // This thread: held B (taken at b2), taking A (at a2).
  EXPECT_STREQ(v[0].held.class_name, "inv-b");
  EXPECT_EQ(v[0].held.site.line, b2);
  EXPECT_EQ(v[0].held.lock, static_cast<const void*>(&b));
  EXPECT_STREQ(v[0].taken.class_name, "inv-a");
  EXPECT_EQ(v[0].taken.site.line, a2);
  EXPECT_EQ(v[0].taken.lock, static_cast<const void*>(&a));
  // The other order, as first seen: A at a1, then B at b1.
  EXPECT_STREQ(v[0].prior_from.class_name, "inv-a");
  EXPECT_EQ(v[0].prior_from.site.line, a1);
  EXPECT_STREQ(v[0].prior_to.class_name, "inv-b");
  EXPECT_EQ(v[0].prior_to.site.line, b1);
  EXPECT_NE(v[0].taken.site.file, nullptr);
}

constinit smp::LockClass kChainA{"chain-a", smp::LockRank{0}};
constinit smp::LockClass kChainB{"chain-b", smp::LockRank{0}};
constinit smp::LockClass kChainC{"chain-c", smp::LockRank{0}};

TEST_F(Lockdep, LongerCycleIsFound) {
  smp::TicketSpinLock<smp::NoIrqSave, kChainA> a;
  smp::TicketSpinLock<smp::NoIrqSave, kChainB> b;
  smp::TicketSpinLock<smp::NoIrqSave, kChainC> c;
  {
    smp::Guard ga{a};
    smp::Guard gb{b};
  }
  {
    smp::Guard gb{b};
    smp::Guard gc{c};
  }
  EXPECT_EQ(count(), 0u);
  {
    smp::Guard gc{c};
    smp::Guard ga{a};  // C -> A closes A -> B -> C -> A
  }
  const auto v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kCycle);
  EXPECT_STREQ(v[0].held.class_name, "chain-c");
  EXPECT_STREQ(v[0].taken.class_name, "chain-a");
  EXPECT_STREQ(v[0].prior_from.class_name, "chain-a");  // first edge out of A on the path
  EXPECT_STREQ(v[0].prior_to.class_name, "chain-b");
}

constinit smp::LockClass kLow{"rank-low", smp::LockRank{10}};
constinit smp::LockClass kHigh{"rank-high", smp::LockRank{20}};

TEST_F(Lockdep, RankViolationIsReported) {
  smp::TicketSpinLock<smp::IrqSave, kLow> low;
  smp::TicketSpinLock<smp::IrqSave, kHigh> high;
  {
    smp::Guard gl{low};
    smp::Guard gh{high};
  }
  EXPECT_EQ(count(), 0u) << "ascending ranks are the stated order";
  unsigned held_line = 0, taken_line = 0;
  {
    smp::Guard gh{high}; held_line = __LINE__;
    smp::Guard gl{low}; taken_line = __LINE__;
  }
  const auto v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kRankOrder);
  EXPECT_STREQ(v[0].held.class_name, "rank-high");
  EXPECT_EQ(v[0].held.rank, 20u);
  EXPECT_EQ(v[0].held.site.line, held_line);
  EXPECT_STREQ(v[0].taken.class_name, "rank-low");
  EXPECT_EQ(v[0].taken.rank, 10u);
  EXPECT_EQ(v[0].taken.site.line, taken_line);
}

constinit smp::LockClass kRunqueue{"test-runqueue", smp::LockRank{30}};
using RunqueueLock = smp::TicketSpinLock<smp::IrqSave, kRunqueue>;

TEST_F(Lockdep, SameClassNestingInAscendingKeyOrderIsAllowed) {
  RunqueueLock rq[3];
  {
    smp::Guard g0{rq[0], smp::NestKey{0}};
    smp::Guard g2{rq[2], smp::NestKey{2}};
  }
  {
    smp::Guard g1{rq[1], smp::NestKey{1}};
    smp::Guard g2{rq[2], smp::NestKey{2}};
  }
  EXPECT_EQ(count(), 0u);
  EXPECT_FALSE(smp::lockdep::has_edge(kRunqueue, kRunqueue)) << "no self edge is recorded";
}

TEST_F(Lockdep, SameClassNestingAgainstTheKeyOrderIsReported) {
  RunqueueLock rq[2];
  {
    smp::Guard g1{rq[1], smp::NestKey{1}};
    smp::Guard g0{rq[0], smp::NestKey{0}};
  }
  auto v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kSameClassOrder);
  EXPECT_EQ(v[0].held.nest_key, 1u);
  EXPECT_EQ(v[0].taken.nest_key, 0u);
  {
    smp::Guard a{rq[0]};
    smp::Guard b{rq[1]};  // no keys: no stated order
  }
  v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kSameClassOrder);
}

TEST_F(Lockdep, HeldStackFollowsNonLifoRelease) {
  smp::TicketSpinLock<smp::NoIrqSave, kLow> low;
  smp::TicketSpinLock<smp::NoIrqSave, kHigh> high;
  const std::uint32_t base = smp::lockdep::held_count();
  smp::Guard gl{low};
  smp::Guard gh{high};
  EXPECT_EQ(smp::lockdep::held_count(), base + 2);
  gl.release();  // out of order
  EXPECT_FALSE(smp::lockdep::holds(&low));
  EXPECT_TRUE(smp::lockdep::holds(&high));
  EXPECT_EQ(smp::lockdep::held_count(), base + 1);
}

constinit smp::LockClass kStall{"stall", smp::LockRank{0}};

TEST_F(Lockdep, LongSpinIsReportedWithTheHolderCpu) {
  if (!smp::kSpinCheck) GTEST_SKIP() << "PLEIADES_LOCK_SPIN_LIMIT is 0";
  const std::uint64_t saved = smp::spin_limit();
  smp::set_spin_limit(platform::cycles_per_second() / 50);  // 20 ms
  smp::TicketSpinLock<smp::NoIrqSave, kStall> lock;
  platform::host::bind_cpu(platform::CpuNumber{0});
  smp::LockToken held = lock.acquire();
  std::thread waiter([&] {
    platform::host::bind_cpu(platform::CpuNumber{3});
    smp::Guard guard{lock};
  });
  // The holder keeps the lock until the waiter has reported it: a missing deadline check makes
  // this wait fail.
  const bool reported = locktest::wait_until([&] { return count() > 0; });
  lock.release(held);
  waiter.join();
  smp::set_spin_limit(saved);
  ASSERT_TRUE(reported);
  const auto v = take();
  ASSERT_GE(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kStall);
  EXPECT_EQ(v[0].cpu, 3u);
  EXPECT_EQ(v[0].holder_cpu, 0u);
  EXPECT_EQ(v[0].taken.lock, static_cast<const void*>(&lock));
  EXPECT_STREQ(v[0].taken.class_name, "stall");
}

// A FIFO lock handed to a waiter that has not run since (a descheduled virtual CPU) has no
// recorded holder yet: the report names the CPU it went to, the waiter that was next in line.
TEST(HolderCpu, HandOverGapNamesTheNextInLine) {
  if (!smp::kTrackHolder) GTEST_SKIP() << "holders are not tracked in this build";
  smp::HolderCpu holder;
  EXPECT_EQ(holder.report_cpu(), platform::kNoCpu);
  platform::host::bind_cpu(platform::CpuNumber{0});
  holder.set_current();
  platform::host::bind_cpu(platform::CpuNumber{2});
  int lock_stand_in = 0;
  smp::SpinWait wait(&lock_stand_in, nullptr, &holder);
  wait.next_in_line();
  EXPECT_EQ(holder.report_cpu(), 0u);  // CPU 0 still holds it
  holder.clear();                      // released: handed to CPU 2, which has not noticed
  EXPECT_EQ(holder.get(), platform::kNoCpu);
  EXPECT_EQ(holder.report_cpu(), 2u);
  holder.set_current();  // CPU 2 takes it
  EXPECT_EQ(holder.report_cpu(), 2u);
  platform::host::bind_cpu(platform::CpuNumber{0});
}

}  // namespace
