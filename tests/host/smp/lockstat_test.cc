// Lock statistics: counts, contention and the printed table.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "smp/locks/locks.h"
#include "smp/locks/lockstat.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kStatClass{"test-lockstat", smp::LockRank{0}};

class Lockstat : public locktest::ViolationRecorder {};

TEST_F(Lockstat, CountsAcquisitionsContentionAndHolds) {
  if (!smp::kLockstat) GTEST_SKIP() << "PLEIADES_LOCKSTAT is off";
  smp::TicketSpinLock<smp::NoIrqSave, kStatClass> lock;
  for (int i = 0; i < 10; ++i) smp::Guard guard{lock};
  smp::LockToken held = lock.acquire();
  std::thread waiter([&] { smp::Guard guard{lock}; });
  // Release only once the waiter is queued: its acquisition is contended for certain.
  ASSERT_TRUE(locktest::wait_until([&] { return lock.raw().waiters() == 1; }));
  lock.release(held);
  waiter.join();

  const smp::LockClassStats& s = kStatClass.stats();
  EXPECT_EQ(s.acquisitions.load(), 12u);
  EXPECT_EQ(s.holds.load(), 12u);
  EXPECT_EQ(s.contended.load(), 1u);
  EXPECT_GT(s.wait_max.load(), 0u);
  EXPECT_EQ(s.wait_total.load(), s.wait_max.load());  // one contended wait
  EXPECT_GT(s.hold_max.load(), 0u);  // the held lock was held across a thread start

  char buffer[4096];
  fmt::FixedBuffer sink(buffer, sizeof(buffer));
  smp::lockstat::print(sink);
  EXPECT_FALSE(sink.truncated());
  const char* line = std::strstr(sink.c_str(), "test-lockstat");
  ASSERT_NE(line, nullptr) << sink.c_str();
  EXPECT_NE(std::strstr(line, " 12 "), nullptr) << line;
}

}  // namespace
