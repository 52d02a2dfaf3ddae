// The bring-up's target plan: maxcpus= and the kernel's CPU limit (smp::kMaxCpus) cut the
// listed CPUs, and nothing is numbered at or above the limit.
#include "kernel/cpus/bringup/target_plan.h"

#include <gtest/gtest.h>

#include "kernel/cpus/smp_options.h"
#include "smp/cpu_set.h"

namespace kcpus::bringup {
namespace {

TEST(TargetPlan, EveryListedCpuWhenThereIsRoom) {
  const TargetPlan p = plan_targets(8, kNoCpuLimit, 0, smp::kMaxCpus);
  EXPECT_EQ(p.listed_aps, 7u);
  EXPECT_EQ(p.total(), 8u);
  EXPECT_EQ(p.beyond_limit + p.by_maxcpus + p.fake_refused, 0u);
}

TEST(TargetPlan, MaxCpusCutsListedCpus) {
  const TargetPlan p = plan_targets(8, 3, 1, smp::kMaxCpus);
  EXPECT_EQ(p.listed_aps, 2u);
  EXPECT_EQ(p.by_maxcpus, 5u);
  EXPECT_EQ(p.fake, 1u);  // fakes are test targets outside maxcpus
  EXPECT_EQ(p.total(), 4u);
}

// A machine listing more CPUs than the kernel has numbers for (a 2048-thread server): the
// first smp::kMaxCpus are started, the rest refused and counted, the boot goes on.
TEST(TargetPlan, CpusAtOrBeyondTheLimitAreRefusedAndCounted) {
  const TargetPlan p = plan_targets(2048, kNoCpuLimit, 0, smp::kMaxCpus);
  EXPECT_EQ(p.total(), smp::kMaxCpus);
  EXPECT_EQ(p.listed_aps, smp::kMaxCpus - 1);
  EXPECT_EQ(p.beyond_limit, 2048 - smp::kMaxCpus);
  EXPECT_EQ(p.by_maxcpus, 0u);
}

TEST(TargetPlan, ExactlyTheLimitFits) {
  const TargetPlan p = plan_targets(smp::kMaxCpus, kNoCpuLimit, 0, smp::kMaxCpus);
  EXPECT_EQ(p.total(), smp::kMaxCpus);
  EXPECT_EQ(p.beyond_limit, 0u);
  const TargetPlan over = plan_targets(smp::kMaxCpus + 1, kNoCpuLimit, 0, smp::kMaxCpus);
  EXPECT_EQ(over.total(), smp::kMaxCpus);
  EXPECT_EQ(over.beyond_limit, 1u);
}

TEST(TargetPlan, FakeTargetsOnlyWhileNumbersRemain) {
  const TargetPlan p = plan_targets(smp::kMaxCpus - 1, kNoCpuLimit, 3, smp::kMaxCpus);
  EXPECT_EQ(p.listed_aps, smp::kMaxCpus - 2);
  EXPECT_EQ(p.fake, 1u);
  EXPECT_EQ(p.fake_refused, 2u);
  EXPECT_EQ(p.total(), smp::kMaxCpus);
}

TEST(TargetPlan, MaxCpusAndLimitTogetherAndDegenerateInputs) {
  const TargetPlan p = plan_targets(5000, 2000, 0, smp::kMaxCpus);
  EXPECT_EQ(p.by_maxcpus, 3000u);
  EXPECT_EQ(p.beyond_limit, 2000u - smp::kMaxCpus);
  EXPECT_EQ(p.total(), smp::kMaxCpus);
  EXPECT_EQ(plan_targets(0, kNoCpuLimit, 0, smp::kMaxCpus).total(), 1u);
  EXPECT_EQ(plan_targets(4, 0, 0, smp::kMaxCpus).total(), 1u);
  EXPECT_EQ(plan_targets(4, kNoCpuLimit, 2, 1).total(), 1u);
}

// Any inputs: the plan never numbers a CPU at or above the limit, and every listed AP is
// either started or counted as left out.
TEST(TargetPlan, NeverBeyondTheLimitAndNothingSilentlyLost) {
  for (std::uint32_t limit : {1u, 2u, 7u, 64u}) {
    for (std::uint32_t listed = 1; listed < 80; listed += 3) {
      for (std::uint32_t max : {1u, 2u, 5u, 70u, kNoCpuLimit}) {
        for (std::uint32_t fake = 0; fake <= kMaxFakeApics; ++fake) {
          const TargetPlan p = plan_targets(listed, max, fake, limit);
          EXPECT_LE(p.total(), limit);
          EXPECT_EQ(p.listed_aps + p.by_maxcpus + p.beyond_limit, listed - 1);
          EXPECT_EQ(p.fake + p.fake_refused, fake);
        }
      }
    }
  }
}

}  // namespace
}  // namespace kcpus::bringup
