// The reader-writer lock: readers share it, and a writer gets in under a continuous reader load.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "smp/locks/locks.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kRwClass{"test-rw", smp::LockRank{0}};

class RwLock : public locktest::ViolationRecorder {};

TEST_F(RwLock, ReadersHoldItTogether) {
  smp::RwSpinLock<smp::NoIrqSave, kRwClass> lock;
  std::atomic<bool> second_inside{false};
  bool first_saw_second = false;
  std::thread first([&] {
    smp::ReadGuard guard{lock};
    // Holds its read lock until the second reader is inside too: an exclusive lock would make
    // this wait fail.
    first_saw_second = locktest::wait_until([&] { return second_inside.load(); });
  });
  ASSERT_TRUE(locktest::wait_until([&] { return lock.raw().readers() == 1; }));
  std::thread second([&] {
    smp::ReadGuard guard{lock};
    second_inside.store(true);
  });
  second.join();
  first.join();
  EXPECT_TRUE(first_saw_second);
  EXPECT_FALSE(lock.raw().is_locked());
}

// Writer preference, deterministically: once a writer waits, a new reader is held back even
// though only readers hold the lock.
TEST_F(RwLock, WaitingWriterHoldsBackNewReaders) {
  smp::RwSpinLock<smp::NoIrqSave, kRwClass> lock;
  smp::LockToken reader = lock.acquire_shared();
  std::atomic<bool> writer_inside{false};
  std::thread writer([&] {
    smp::Guard guard{lock};
    writer_inside.store(true);
  });
  ASSERT_TRUE(locktest::wait_until([&] { return lock.raw().writer_claimed(); }));
  EXPECT_FALSE(writer_inside.load());
  std::thread late_reader([&] {
    smp::LockToken t;
    // Fails while the writer waits (the first reader still holds the lock).
    EXPECT_FALSE(lock.try_acquire_shared(t));
  });
  late_reader.join();
  lock.release_shared(reader);
  writer.join();
  EXPECT_TRUE(writer_inside.load());
  EXPECT_FALSE(lock.raw().is_locked());
}

TEST_F(RwLock, WriterIsNotStarvedByContinuousReaders) {
  smp::RwSpinLock<smp::NoIrqSave, kRwClass> lock;
  constexpr int kReaders = 3;
  constexpr int kWrites = 50;
  std::atomic<bool> stop{false};
  std::atomic<int> reader_rounds[kReaders] = {};
  std::uint64_t shared_value = 0;  // written by the writer, read by readers: plain on purpose
  std::atomic<int> writes_done{0};
  std::atomic<int> readers_seen_by_writer{0};
  // Readers between entering and leaving, counted by the test itself: the lock's own count
  // also includes readers that are backing out from under a writer.
  std::atomic<int> readers_inside{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      std::uint64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        smp::ReadGuard guard{lock};
        readers_inside.fetch_add(1);
        // Readers overlap: each stays inside a while, so without writer preference the reader
        // count would rarely, if ever, drop to zero.
        for (int i = 0; i < 200; ++i) platform::cpu_relax();
        EXPECT_GE(shared_value, last);  // the writer only increases it
        last = shared_value;
        reader_rounds[r].fetch_add(1, std::memory_order_relaxed);
        readers_inside.fetch_sub(1);
      }
    });
  }
  // The load is on before the writer starts.
  ASSERT_TRUE(locktest::wait_until([&] {
    for (auto& n : reader_rounds) {
      if (n.load() < 10) return false;
    }
    return true;
  }));
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      smp::Guard guard{lock};
      readers_seen_by_writer += readers_inside.load();
      ++shared_value;
      writes_done.fetch_add(1);
    }
  });
  // Bounded: a starved writer fails here instead of hanging the test.
  const bool writer_finished = locktest::wait_until([&] { return writes_done.load() == kWrites; });
  stop.store(true);
  for (auto& r : readers) r.join();
  writer.join();
  EXPECT_TRUE(writer_finished) << "writer made " << writes_done.load() << " of " << kWrites
                               << " writes while readers ran";
  EXPECT_EQ(readers_seen_by_writer.load(), 0) << "a reader was inside during a write";
  EXPECT_EQ(shared_value, std::uint64_t{kWrites});
}

}  // namespace
