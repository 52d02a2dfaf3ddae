// On virtual CPUs (platform::virtual_cpus) a ticket lock goes to whichever waiter finds it free:
// a waiter whose CPU the host has stopped cannot hold up the others (smp/locks/ticket_lock.h).
//
// The stopped CPU is played by a thread that spins with interrupts off: the spin-wait service
// (which such a spin calls on every iteration) parks it until the test lets it go. The main
// thread holds the lock, starts that waiter and sees it parked inside its wait, then starts a
// second waiter and releases. In line (fair mode), the parked waiter's turn comes first and the
// second waiter cannot get the lock until it is let go; taken when free, the second gets it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "smp/locks/locks.h"
#include "smp/platform/host/platform_host.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kVirtualClass{"test-virtual-cpus", smp::LockRank{0}};

struct Parking {
  std::atomic<bool> parked{false};
  std::atomic<bool> let_go{false};
  std::atomic<std::thread::id> stopped_thread{};
};

void park_the_stopped_thread(void* context) {
  auto& p = *static_cast<Parking*>(context);
  if (std::this_thread::get_id() != p.stopped_thread.load()) return;
  p.parked.store(true);
  while (!p.let_go.load()) std::this_thread::yield();
}

class VirtualCpus : public locktest::ViolationRecorder {
 protected:
  void TearDown() override {
    platform::host::set_spin_wait_service(nullptr, nullptr);
    platform::host::set_virtual_cpus(false);
    locktest::ViolationRecorder::TearDown();
  }

  // Whether the second waiter got the lock while the first was parked.
  bool second_waiter_passes_a_stopped_one() {
    smp::TicketSpinLock<smp::IrqSave, kVirtualClass> lock;
    Parking parking;
    platform::host::set_spin_wait_service(park_the_stopped_thread, &parking);
    smp::LockToken held = lock.acquire();
    std::thread stopped([&] {
      platform::host::bind_cpu(platform::CpuNumber{1});
      parking.stopped_thread.store(std::this_thread::get_id());
      smp::Guard guard{lock};
    });
    EXPECT_TRUE(locktest::wait_until([&] { return parking.parked.load(); }));
    std::atomic<bool> second_done{false};
    std::thread second([&] {
      platform::host::bind_cpu(platform::CpuNumber{2});
      smp::Guard guard{lock};
      second_done.store(true);
    });
    lock.release(held);
    // Bounded: in line, the second waiter stays behind the parked one until it is let go.
    const bool passed = locktest::wait_until([&] { return second_done.load(); },
                                             std::chrono::seconds(2));
    parking.let_go.store(true);
    second.join();
    stopped.join();
    return passed;
  }
};

TEST_F(VirtualCpus, AStoppedWaiterDoesNotHoldUpTheOthers) {
  platform::host::set_virtual_cpus(true);
  EXPECT_TRUE(second_waiter_passes_a_stopped_one());
}

// The same schedule in fair mode shows what the mode is for: the lock waits for the parked
// waiter whose turn it is.
TEST_F(VirtualCpus, InLineTheLockWaitsForTheStoppedWaiter) {
  platform::host::set_virtual_cpus(false);
  EXPECT_FALSE(second_waiter_passes_a_stopped_one());
}

// Taken when free, the lock still excludes: N threads each add to a counter under it.
TEST_F(VirtualCpus, LockStillExcludes) {
  platform::host::set_virtual_cpus(true);
  smp::TicketSpinLock<smp::NoIrqSave, kVirtualClass> lock;
  std::uint64_t counter = 0;  // under the lock
  constexpr int kRounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      for (int i = 0; i < kRounds; ++i) {
        smp::Guard guard{lock};
        counter = counter + 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, static_cast<std::uint64_t>(locktest::kThreads) * kRounds);
  EXPECT_EQ(lock.raw().waiters(), 0u);
}

}  // namespace
