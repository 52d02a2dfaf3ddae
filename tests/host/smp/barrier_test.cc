// The sense-reversing barrier: no thread passes generation k before all arrived at k, and
// none runs ahead into generation k+2 while another is still at k.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "smp/locks/barrier.h"
#include "tests/host/smp/lock_test_support.h"

namespace {

TEST(Barrier, NoThreadPassesAGenerationEarly) {
  constexpr int kGenerations = 300;
  smp::Barrier barrier(locktest::kThreads);
  // arrived[k][t]: plain flags written before arriving at k, read after passing k. Only the
  // barrier orders them (ThreadSanitizer checks that it does).
  std::vector<std::array<bool, locktest::kThreads>> arrived(kGenerations);
  std::atomic<int> phase[locktest::kThreads] = {};
  std::atomic<int> early{0}, ahead{0}, wrong_generation{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < locktest::kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kGenerations; ++k) {
        arrived[k][t] = true;
        phase[t].store(k, std::memory_order_relaxed);
        if (barrier.arrive_and_wait() != static_cast<std::uint32_t>(k)) ++wrong_generation;
        for (int j = 0; j < locktest::kThreads; ++j) {
          if (!arrived[k][j]) ++early;
          const int p = phase[j].load(std::memory_order_relaxed);
          if (p < k || p > k + 1) ++ahead;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(ahead.load(), 0);
  EXPECT_EQ(wrong_generation.load(), 0);
  EXPECT_EQ(barrier.generation(), static_cast<std::uint32_t>(kGenerations));
}

TEST(Barrier, SinglePartyNeverWaits) {
  smp::Barrier barrier(1);
  EXPECT_EQ(barrier.arrive_and_wait(), 0u);
  EXPECT_EQ(barrier.arrive_and_wait(), 1u);
}

}  // namespace
