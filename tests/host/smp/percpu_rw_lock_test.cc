// The per-CPU reader-writer lock: writers exclude everyone, readers on different CPUs share it,
// a waiting writer holds back new readers, and a continuous reader stream cannot starve a writer.
// Every thread plays its own CPU (host::bind_cpu), so readers really use different slots;
// LockSharingSlots runs the exclusion test with more CPUs than slots.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "smp/locks/locks.h"
#include "smp/platform/host/platform_host.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kPercpuRwClass{"test-percpu-rw", smp::LockRank{0}};

using Lock = smp::PercpuRwSpinLock<smp::NoIrqSave, kPercpuRwClass>;
// Four CPUs on two slots: CPUs 0 and 2 (1 and 3) share a count.
using LockSharingSlots = smp::PercpuRwSpinLock<smp::NoIrqSave, kPercpuRwClass, 2>;

class PercpuRwLock : public locktest::ViolationRecorder {
 protected:
  void SetUp() override {
    ViolationRecorder::SetUp();
    platform::host::set_cpu_count(locktest::kThreads);
  }
  void TearDown() override {
    platform::host::set_cpu_count(1);
    ViolationRecorder::TearDown();
  }
};

void bind(int cpu) { platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(cpu)}); }

// Threads on CPUs 0..kThreads-1 read and write at random; every write changes two plain words
// together. A reader seeing them differ, or the test's own counters seeing a writer next to
// anybody, means the lock let two in at once (and TSan reports the plain words as a race).
template <typename L>
void check_mutual_exclusion() {
  L lock;
  constexpr int kIterations = 50000;
  std::uint64_t first = 0, second = 0;  // written under the write lock only: plain on purpose
  std::atomic<int> readers_inside{0};
  std::atomic<int> writers_inside{0};
  std::atomic<int> bad_reads{0}, bad_writes{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<int> ready{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&, t] {
      bind(t);
      // All start together: otherwise the first thread may be done before the last begins.
      ready.fetch_add(1);
      while (ready.load() != locktest::kThreads) std::this_thread::yield();
      std::uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(t + 1);
      for (int i = 0; i < kIterations; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x % 8 == 0) {
          smp::Guard guard{lock};
          if (writers_inside.fetch_add(1) != 0 || readers_inside.load() != 0) ++bad_writes;
          ++first;
          for (int k = 0; k < 32; ++k) platform::cpu_relax();
          ++second;
          writes.fetch_add(1, std::memory_order_relaxed);
          writers_inside.fetch_sub(1);
        } else {
          smp::ReadGuard guard{lock};
          readers_inside.fetch_add(1);
          if (writers_inside.load() != 0) ++bad_reads;
          // Reads the pair with a gap: a writer let in beside this reader shows up as a
          // difference even if it started after the first check.
          const std::uint64_t seen_second = second;
          for (int k = 0; k < 8; ++k) platform::cpu_relax();
          if (first != seen_second || writers_inside.load() != 0) ++bad_reads;
          readers_inside.fetch_sub(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad_writes.load(), 0) << "a writer was inside next to another holder";
  EXPECT_EQ(bad_reads.load(), 0) << "a reader was inside next to a writer";
  EXPECT_EQ(first, writes.load());
  EXPECT_EQ(second, writes.load());
  EXPECT_GT(writes.load(), 0u);
  EXPECT_FALSE(lock.raw().is_locked());
}

TEST_F(PercpuRwLock, WritersExcludeReadersAndWriters) { check_mutual_exclusion<Lock>(); }

TEST_F(PercpuRwLock, WritersExcludeWhenCpusShareASlot) {
  check_mutual_exclusion<LockSharingSlots>();
}

// Readers on different CPUs are inside at the same time: each holds its read lock until all
// are in. An exclusive lock (or a reader that waited for other readers) fails the wait.
TEST_F(PercpuRwLock, ReadersOnDifferentCpusOverlap) {
  Lock lock;
  constexpr int kReaders = 3;
  std::atomic<int> inside{0};
  std::atomic<int> saw_all{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      bind(r);
      smp::ReadGuard guard{lock};
      inside.fetch_add(1);
      if (locktest::wait_until([&] { return inside.load() == kReaders; },
                               std::chrono::seconds(10))) {
        saw_all.fetch_add(1);
      }
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(saw_all.load(), kReaders) << "readers did not hold the lock together";
  EXPECT_FALSE(lock.raw().is_locked());
}

// Writer preference, deterministically: once a writer waits, a new reader is held back on its
// own CPU's slot and on the holder's, though only a reader holds the lock.
TEST_F(PercpuRwLock, WaitingWriterHoldsBackNewReaders) {
  Lock lock;
  bind(0);
  smp::LockToken reader = lock.acquire_shared();
  EXPECT_EQ(lock.raw().readers(), 1u);
  std::atomic<bool> writer_inside{false};
  std::thread writer([&] {
    bind(1);
    smp::Guard guard{lock};
    writer_inside.store(true);
  });
  ASSERT_TRUE(locktest::wait_until([&] { return lock.raw().writer_claimed(); }));
  EXPECT_FALSE(writer_inside.load());
  for (int cpu : {2, 0}) {
    std::thread late_reader([&, cpu] {
      bind(cpu);
      smp::LockToken t;
      if (lock.try_acquire_shared(t)) {
        ADD_FAILURE() << "reader on CPU " << cpu << " got in past a waiting writer";
        lock.release_shared(t);  // lets the writer finish: a failure, not a hang
      }
    });
    late_reader.join();
  }
  // Still waiting: the first reader holds the lock.
  EXPECT_FALSE(writer_inside.load());
  lock.release_shared(reader);
  writer.join();
  EXPECT_TRUE(writer_inside.load());
  EXPECT_FALSE(lock.raw().is_locked());
  bind(0);
}

// A writer's try fails while a reader on another CPU holds the lock, and gives its claim back.
TEST_F(PercpuRwLock, WriterTrySeesReadersOnOtherCpus) {
  Lock lock;
  std::atomic<bool> holding{false}, done{false};
  std::thread reader([&] {
    bind(3);
    smp::ReadGuard guard{lock};
    holding.store(true);
    locktest::wait_until([&] { return done.load(); });
  });
  ASSERT_TRUE(locktest::wait_until([&] { return holding.load(); }));
  bind(0);
  EXPECT_EQ(lock.raw().readers(), 1u);
  {
    smp::raw::PercpuRwLock<> raw;
    ASSERT_TRUE(raw.try_acquire_shared(3));
    EXPECT_FALSE(raw.try_acquire()) << "a writer ignored a reader on CPU 3";
    EXPECT_FALSE(raw.writer_claimed()) << "a failed try kept its claim";
    raw.release_shared(3);
    ASSERT_TRUE(raw.try_acquire());
    EXPECT_FALSE(raw.try_acquire_shared(0));
    raw.release();
  }
  done.store(true);
  reader.join();
  EXPECT_FALSE(lock.raw().is_locked());
}

TEST_F(PercpuRwLock, WriterIsNotStarvedByContinuousReaders) {
  Lock lock;
  constexpr int kReaders = 3;
  constexpr int kWrites = 50;
  std::atomic<bool> stop{false};
  std::atomic<int> reader_rounds[kReaders] = {};
  std::uint64_t shared_value = 0;  // written by the writer, read by readers: plain on purpose
  std::atomic<int> writes_done{0};
  std::atomic<int> readers_seen_by_writer{0};
  std::atomic<int> readers_inside{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      bind(r);
      std::uint64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        smp::ReadGuard guard{lock};
        readers_inside.fetch_add(1);
        // Readers overlap: without writer preference no slot-sum would ever be zero.
        for (int i = 0; i < 200; ++i) platform::cpu_relax();
        EXPECT_GE(shared_value, last);
        last = shared_value;
        reader_rounds[r].fetch_add(1, std::memory_order_relaxed);
        readers_inside.fetch_sub(1);
      }
    });
  }
  ASSERT_TRUE(locktest::wait_until([&] {
    for (auto& n : reader_rounds) {
      if (n.load() < 10) return false;
    }
    return true;
  }));
  std::thread writer([&] {
    bind(kReaders);
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

// The IRQ policy and preemption as for the other locks: off for the hold, restored after.
TEST_F(PercpuRwLock, IrqSaveReaderAndWriterDisableInterruptsForTheHold) {
  smp::PercpuRwSpinLock<smp::IrqSave, kPercpuRwClass> lock;
  const std::uint32_t preempt = platform::preempt_count();
  ASSERT_TRUE(platform::irqs_enabled());
  {
    smp::ReadGuard guard{lock};
    EXPECT_FALSE(platform::irqs_enabled());
    EXPECT_EQ(platform::preempt_count(), preempt + 1);
  }
  EXPECT_TRUE(platform::irqs_enabled());
  {
    smp::Guard guard{lock};
    EXPECT_FALSE(platform::irqs_enabled());
    EXPECT_EQ(platform::preempt_count(), preempt + 1);
  }
  EXPECT_TRUE(platform::irqs_enabled());
  EXPECT_EQ(platform::preempt_count(), preempt);
}

}  // namespace
