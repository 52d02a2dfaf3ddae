#include "sched/weight.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

TEST(Weight, NiceZeroIs1024AndEachStepIsAbout25Percent) {
  EXPECT_EQ(sched::weight_of_nice(0), 1024u);
  for (int n = sched::kNiceMin; n <= sched::kNiceMax; ++n) {
    double ideal = 1024.0 * std::pow(1.25, -n);
    // Linux's table rounds each entry on its own; all stay within 5% of 1024 * 1.25^-nice.
    EXPECT_NEAR(sched::weight_of_nice(n), ideal, ideal * 0.05) << "nice " << n;
    if (n < sched::kNiceMax) {
      EXPECT_GT(sched::weight_of_nice(n), sched::weight_of_nice(n + 1));
    }
  }
}

TEST(Weight, ClampsOutOfRange) {
  EXPECT_EQ(sched::weight_of_nice(-100), sched::weight_of_nice(sched::kNiceMin));
  EXPECT_EQ(sched::weight_of_nice(100), sched::weight_of_nice(sched::kNiceMax));
}

TEST(Weight, InverseWeightMultipliesBackToAbout2To32) {
  for (int n = sched::kNiceMin; n <= sched::kNiceMax; ++n) {
    std::uint64_t product =
        std::uint64_t(sched::weight_of_nice(n)) * sched::inverse_weight_of_nice(n);
    EXPECT_LE(product, 1ull << 32);
    EXPECT_GT(product, (1ull << 32) - sched::weight_of_nice(n));
  }
}

TEST(Weight, ScaleRuntime) {
  EXPECT_EQ(sched::scale_runtime(1000, 1024), 1000u);
  EXPECT_EQ(sched::scale_runtime(1000, 2048), 500u);
  EXPECT_EQ(sched::scale_runtime(1000, 512), 2000u);
  EXPECT_EQ(sched::scale_runtime(1000, 0), 1024000u);  // weight 0 treated as 1
  // Past 2^54 the division goes first; the result stays within one unit of the exact value.
  std::uint64_t big = 1ull << 60;
  EXPECT_EQ(sched::scale_runtime(big, 1024), big);
  EXPECT_EQ(sched::scale_runtime(~0ull, 15), ~0ull);  // saturates
}

}  // namespace
