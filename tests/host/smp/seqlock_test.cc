// SeqLock readers never see a torn value: every word of a snapshot comes from the same write.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "smp/locks/locks.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

constinit smp::LockClass kSeqClass{"test-seqlock", smp::LockRank{0}};

// Five words, all derived from one number: a mix of two writes breaks the relations.
struct Snapshot {
  std::uint64_t n;
  std::uint64_t triple;
  std::uint64_t inverted;
  std::uint64_t mixed;
  std::uint32_t low;
  std::uint32_t high;
};

Snapshot make(std::uint64_t n) {
  return Snapshot{n, n * 3, ~n, n ^ 0x5555'5555'5555'5555ull, static_cast<std::uint32_t>(n),
                  static_cast<std::uint32_t>(n >> 32)};
}

bool consistent(const Snapshot& s) {
  const Snapshot expected = make(s.n);
  return s.triple == expected.triple && s.inverted == expected.inverted &&
         s.mixed == expected.mixed && s.low == expected.low && s.high == expected.high;
}

class SeqLockTest : public locktest::ViolationRecorder {};

TEST_F(SeqLockTest, ReadersNeverSeeTornData) {
  smp::SeqLock<Snapshot, smp::IrqSave, kSeqClass> value{make(0)};
  constexpr std::uint64_t kWrites = 20000;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> torn{0}, backwards{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < locktest::kThreads - 1; ++r) {
    readers.emplace_back([&] {
      std::uint64_t last = 0;
      while (!done.load(std::memory_order_acquire)) {
        const Snapshot s = value.read();
        if (!consistent(s)) torn.fetch_add(1);
        if (s.n < last) backwards.fetch_add(1);
        last = s.n;
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::thread writer([&] {
    // The high half changes too (n spans 2^32), so both 32-bit fields are exercised.
    for (std::uint64_t i = 1; i <= kWrites; ++i) {
      value.write([&](Snapshot& s) { s = make(i * 0x1'0000'0001ull); });
    }
    done.store(true, std::memory_order_release);
  });
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(value.read().n, kWrites * 0x1'0000'0001ull);
  EXPECT_EQ(value.sequence(), 2 * kWrites);
}

TEST_F(SeqLockTest, WriteStartsFromTheCurrentValue) {
  smp::SeqLock<Snapshot, smp::NoIrqSave, kSeqClass> value{make(7)};
  for (int i = 0; i < 5; ++i) value.write([](Snapshot& s) { s = make(s.n + 1); });
  Snapshot seen{};
  ASSERT_TRUE(value.try_read(seen));  // no writer: the first attempt succeeds
  EXPECT_EQ(seen.n, 12u);
  EXPECT_TRUE(consistent(seen));
  EXPECT_EQ(value.sequence(), 10u);
}

}  // namespace
