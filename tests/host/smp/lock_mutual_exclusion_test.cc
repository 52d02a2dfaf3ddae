// Every exclusive lock keeps a plain (non-atomic) counter exact across kThreads threads, and
// no two threads are ever inside together. Under ThreadSanitizer the plain accesses also check
// that each lock's acquire/release orderings give the critical sections happens-before.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "smp/locks/locks.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kMutexClass{"test-mutex", smp::LockRank{0}};

constexpr int kIterations = 10000;

template <typename Lock>
class MutualExclusion : public locktest::ViolationRecorder {};

using ExclusiveLocks = ::testing::Types<
    smp::TicketSpinLock<smp::NoIrqSave, kMutexClass>, smp::TicketSpinLock<smp::IrqSave, kMutexClass>,
    smp::McsSpinLock<smp::NoIrqSave, kMutexClass>, smp::McsSpinLock<smp::IrqSave, kMutexClass>,
    smp::TasSpinLock<smp::NoIrqSave, kMutexClass>, smp::RwSpinLock<smp::IrqSave, kMutexClass>>;
TYPED_TEST_SUITE(MutualExclusion, ExclusiveLocks);

TYPED_TEST(MutualExclusion, PlainCounterIsExact) {
  TypeParam lock;
  std::uint64_t counter = 0;  // plain on purpose
  bool inside = false;        // plain on purpose
  int overlaps = 0;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < kIterations; ++i) {
        smp::Guard guard{lock};
        if (inside) ++overlaps;
        inside = true;
        ++counter;
        inside = false;
      }
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, std::uint64_t{locktest::kThreads} * kIterations);
  EXPECT_EQ(overlaps, 0);
}

// The raw primitives alone (as the benchmarks use them).
template <typename Raw>
class RawMutualExclusion : public ::testing::Test {};
using RawLocks = ::testing::Types<smp::raw::TicketLock, smp::raw::McsLock, smp::raw::TasLock>;
TYPED_TEST_SUITE(RawMutualExclusion, RawLocks);

TYPED_TEST(RawMutualExclusion, PlainCounterIsExact) {
  TypeParam lock;
  std::uint64_t counter = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        lock.acquire();
        ++counter;
        lock.release();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, std::uint64_t{locktest::kThreads} * kIterations);
  EXPECT_FALSE(lock.is_locked());
}

class TryAcquire : public locktest::ViolationRecorder {};

TEST_F(TryAcquire, FailsWhileHeldAndLeavesNoTrace) {
  smp::McsSpinLock<smp::IrqSave, kMutexClass> lock;
  smp::LockToken held = lock.acquire();
  std::thread other([&] {
    smp::LockToken t;
    EXPECT_FALSE(lock.try_acquire(t));
    // A failed try restores interrupts and preemption and is not on lockdep's stack.
    EXPECT_TRUE(platform::irqs_enabled());
    EXPECT_EQ(platform::preempt_count(), 0u);
    EXPECT_EQ(smp::lockdep::held_count(), 0u);
  });
  other.join();
  lock.release(held);
  smp::LockToken t;
  ASSERT_TRUE(lock.try_acquire(t));
  EXPECT_FALSE(platform::irqs_enabled());
  lock.release(t);
  EXPECT_TRUE(platform::irqs_enabled());
}

struct Account {
  std::uint64_t balance = 0;
  std::uint64_t deposits = 0;
};

class ProtectedValue : public locktest::ViolationRecorder {};

TEST_F(ProtectedValue, WithKeepsInvariantAcrossThreads) {
  smp::Protected<Account, smp::TicketSpinLock<smp::IrqSave, kMutexClass>> account;
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations / 4; ++i) {
        account.with([](Account& a) {
          a.balance += 10;
          ++a.deposits;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto [balance, deposits] =
      account.with([](Account& a) { return std::pair{a.balance, a.deposits}; });
  EXPECT_EQ(deposits, std::uint64_t{locktest::kThreads} * (kIterations / 4));
  EXPECT_EQ(balance, deposits * 10);
}

}  // namespace
