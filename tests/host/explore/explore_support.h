// Shared helpers of the explorer tests: how many schedules a test tries, and the check that a
// search found nothing.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "smp/platform/host/explorer.h"

namespace exploretest {

namespace explore = platform::host::explore;

// The bounded run in scripts/test: each search stops at `count` schedules or `seconds`,
// whichever comes first (scripts/explore scales both with PLEIADES_EXPLORE_SCALE).
inline constexpr std::uint64_t kSchedules = 1600;
inline constexpr double kSeconds = 10.0;

// Fails the test with the failing schedule (seed, points, reason) if the search found one, or
// if the schedules were shorter than `min_points` (the scenario did not run as meant).
inline void expect_clean(const explore::SearchResult& r, std::uint64_t min_points = 1) {
  EXPECT_FALSE(r.found) << "seed " << r.failing.seed << " failed after " << r.failing.steps
                        << " points: " << r.failing.failure
                        << " (replay: PLEIADES_EXPLORE_SEED=" << r.failing.seed << ")";
  EXPECT_GT(r.schedules, 0u);
  if (!r.found) {
    EXPECT_GE(r.min_steps, min_points) << "the schedules did less than expected";
  }
}

}  // namespace exploretest
