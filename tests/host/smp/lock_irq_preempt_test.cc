// Interrupt and preemption behaviour carried by the lock types.
#include <gtest/gtest.h>

#include <thread>

#include "smp/irq_guard.h"
#include "smp/locks/locks.h"
#include "smp/locks/preempt.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kIrqClassA{"test-irq-a", smp::LockRank{0}};
constinit smp::LockClass kIrqClassB{"test-irq-b", smp::LockRank{0}};

class LockIrq : public locktest::ViolationRecorder {};

TEST_F(LockIrq, IrqSaveGuardDisablesAndRestores) {
  smp::TicketSpinLock<smp::IrqSave, kIrqClassA> lock;
  ASSERT_TRUE(platform::irqs_enabled());
  {
    smp::Guard guard{lock};
    EXPECT_FALSE(platform::irqs_enabled());
  }
  EXPECT_TRUE(platform::irqs_enabled());
  {
    smp::IrqGuard off;
    {
      smp::Guard guard{lock};
      EXPECT_FALSE(platform::irqs_enabled());
    }
    EXPECT_FALSE(platform::irqs_enabled());  // restores "disabled", not "enabled"
  }
  EXPECT_TRUE(platform::irqs_enabled());
}

TEST_F(LockIrq, NestedIrqSaveLocksRestoreInOrder) {
  smp::McsSpinLock<smp::IrqSave, kIrqClassA> a;
  smp::RwSpinLock<smp::IrqSave, kIrqClassB> b;
  {
    smp::Guard ga{a};
    {
      smp::ReadGuard gb{b};
      EXPECT_FALSE(platform::irqs_enabled());
    }
    EXPECT_FALSE(platform::irqs_enabled());  // still inside a
  }
  EXPECT_TRUE(platform::irqs_enabled());
}

TEST_F(LockIrq, PlainLockLeavesInterruptsAlone) {
  smp::TicketSpinLock<smp::NoIrqSave, kIrqClassA> lock;
  smp::Guard guard{lock};
  EXPECT_TRUE(platform::irqs_enabled());
}

TEST_F(LockIrq, PreemptCountNestsAndReturnsToZero) {
  smp::TicketSpinLock<smp::NoIrqSave, kIrqClassA> a;
  smp::McsSpinLock<smp::IrqSave, kIrqClassB> b;
  ASSERT_EQ(platform::preempt_count(), 0u);
  {
    smp::Guard ga{a};
    EXPECT_EQ(platform::preempt_count(), 1u);
    {
      smp::Guard gb{b};
      EXPECT_EQ(platform::preempt_count(), 2u);
      {
        smp::PreemptGuard p;
        EXPECT_EQ(platform::preempt_count(), 3u);
      }
      EXPECT_EQ(platform::preempt_count(), 2u);
    }
    EXPECT_EQ(platform::preempt_count(), 1u);
    ga.release();
    EXPECT_EQ(platform::preempt_count(), 0u);
  }
  EXPECT_EQ(platform::preempt_count(), 0u);
}

TEST_F(LockIrq, PlainLockInInterruptContextIsReported) {
  if (!smp::kLockdep) GTEST_SKIP() << "PLEIADES_LOCKDEP is off";
  smp::TicketSpinLock<smp::NoIrqSave, kIrqClassA> plain;
  smp::TicketSpinLock<smp::IrqSave, kIrqClassB> irq_safe;
  platform::host::irq_enter();
  { smp::Guard guard{irq_safe}; }
  EXPECT_EQ(count(), 0u) << "an IRQ-saving lock is fine in an interrupt handler";
  const unsigned line = __LINE__ + 1;
  { smp::Guard guard{plain}; }
  platform::host::irq_exit();
  const auto v = take();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].kind, platform::LockViolationKind::kIrqUnsafe);
  EXPECT_STREQ(v[0].taken.class_name, "test-irq-a");
  EXPECT_EQ(v[0].taken.site.line, line);
}

// A CPU spinning with interrupts off keeps serving cross-CPU requests (the spin-wait hook).
TEST_F(LockIrq, SpinnerWithIrqsOffServesCrossCpuRequests) {
  smp::TicketSpinLock<smp::IrqSave, kIrqClassA> lock;
  static std::atomic<int> served{0};
  served = 0;
  platform::host::set_spin_wait_service([](void*) { served.fetch_add(1); }, nullptr);
  smp::LockToken held = lock.acquire();
  std::thread spinner([&] { smp::Guard guard{lock}; });
  // The holder waits for the spinner to serve a request: without the hook this never happens.
  const bool was_served = locktest::wait_until([] { return served.load() > 0; });
  lock.release(held);
  spinner.join();
  platform::host::set_spin_wait_service(nullptr, nullptr);
  EXPECT_TRUE(was_served);
}

}  // namespace
