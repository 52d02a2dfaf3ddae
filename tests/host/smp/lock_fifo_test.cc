// Ticket and queued locks hand the lock over in the order the waiters queued.
//
// Determinism: the main thread holds the lock and starts the waiters one at a time, starting
// the next only after it has seen the previous one queued in the lock itself (ticket: the
// waiter count went up; MCS: the first waiter took the pending slot, each later one changed the
// queue tail to its own node). The queue order
// is therefore 0, 1, 2, ...; after the main thread lets go, each waiter records when it got
// the lock, and a FIFO lock must produce the same order.
#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

#include "smp/locks/locks.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kFifoClass{"test-fifo", smp::LockRank{0}};
constexpr int kWaiters = 6;

template <typename Lock, typename Queued>
void expect_fifo(Lock& lock, Queued queued_after) {
  smp::LockToken held = lock.acquire();
  std::vector<int> order;  // appended under the lock
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    auto before = queued_after(i);
    waiters.emplace_back([&lock, &order, i] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(i + 1)});
      smp::Guard guard{lock};
      order.push_back(i);
    });
    ASSERT_TRUE(locktest::wait_until([&] { return queued_after(i) != before; }))
        << "waiter " << i << " never queued";
  }
  lock.release(held);
  for (auto& w : waiters) w.join();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kWaiters));
  for (int i = 0; i < kWaiters; ++i) EXPECT_EQ(order[i], i) << "position " << i;
}

class Fifo : public locktest::ViolationRecorder {};

TEST_F(Fifo, TicketLockServesInQueueOrder) {
  smp::TicketSpinLock<smp::NoIrqSave, kFifoClass> lock;
  // The number of waiters behind the holder: grows by one per queued waiter.
  expect_fifo(lock, [&](int) { return lock.raw().waiters(); });
}

TEST_F(Fifo, McsLockServesInQueueOrder) {
  smp::McsSpinLock<smp::NoIrqSave, kFifoClass> lock;
  // The first waiter sets the pending bit; the others queue: the tail is the last queued
  // waiter's node, and each thread has its own nodes.
  expect_fifo(lock, [&](int) {
    return std::pair{lock.raw().is_pending(), lock.raw().queue_tail()};
  });
}

TEST_F(Fifo, McsLockWithIrqSaveServesInQueueOrder) {
  smp::McsSpinLock<smp::IrqSave, kFifoClass> lock;
  expect_fifo(lock, [&](int) {
    return std::pair{lock.raw().is_pending(), lock.raw().queue_tail()};
  });
}

}  // namespace
