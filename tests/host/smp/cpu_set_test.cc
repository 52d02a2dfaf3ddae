#include "smp/cpu_set.h"

#include <gtest/gtest.h>

namespace {

using platform::CpuNumber;

TEST(CpuSet, AddRemoveContains) {
  smp::CpuSet s;
  EXPECT_TRUE(s.empty());
  s.add(CpuNumber{0});
  s.add(CpuNumber{63});
  s.add(CpuNumber{64});
  s.add(CpuNumber{1023});
  s.add(CpuNumber{1024});  // out of range: ignored
  EXPECT_EQ(s.count(), 4u);
  EXPECT_TRUE(s.contains(CpuNumber{63}));
  EXPECT_TRUE(s.contains(CpuNumber{1023}));
  EXPECT_FALSE(s.contains(CpuNumber{1024}));
  EXPECT_FALSE(s.contains(CpuNumber{62}));
  s.remove(CpuNumber{63});
  EXPECT_FALSE(s.contains(CpuNumber{63}));
  EXPECT_EQ(s.count(), 3u);
}

TEST(CpuSet, AllAndIteration) {
  EXPECT_EQ(smp::CpuSet::all(0).count(), 0u);
  EXPECT_EQ(smp::CpuSet::all(1).count(), 1u);
  EXPECT_EQ(smp::CpuSet::all(64).count(), 64u);
  EXPECT_EQ(smp::CpuSet::all(65).count(), 65u);
  EXPECT_EQ(smp::CpuSet::all(5000).count(), smp::kMaxCpus);
  auto s = smp::CpuSet::all(70);
  EXPECT_FALSE(s.contains(CpuNumber{70}));
  smp::CpuSet sparse;
  for (std::uint32_t c : {3u, 64u, 200u, 1000u}) sparse.add(CpuNumber{c});
  std::uint32_t seen[4] = {};
  int n = 0;
  for (std::uint32_t c = sparse.next(0); c < smp::kMaxCpus; c = sparse.next(c + 1)) seen[n++] = c;
  ASSERT_EQ(n, 4);
  EXPECT_EQ(seen[0], 3u);
  EXPECT_EQ(seen[1], 64u);
  EXPECT_EQ(seen[2], 200u);
  EXPECT_EQ(seen[3], 1000u);
  EXPECT_EQ(sparse.next(1001), smp::kMaxCpus);
}

TEST(CpuSet, SetOperations) {
  auto a = smp::CpuSet::all(8);
  smp::CpuSet b;
  b.add(CpuNumber{4});
  b.add(CpuNumber{100});
  auto i = a;
  i &= b;
  EXPECT_EQ(i.count(), 1u);
  EXPECT_TRUE(i.contains(CpuNumber{4}));
  auto u = a;
  u |= b;
  EXPECT_EQ(u.count(), 9u);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a == smp::CpuSet::all(8));
}

TEST(CpuSet, OnlyHoldsOneCpuOrNoneWhenOutOfRange) {
  const smp::CpuSet s = smp::CpuSet::only(130);
  EXPECT_EQ(s.count(), 1u);
  EXPECT_TRUE(s.contains(CpuNumber{130}));
  EXPECT_EQ(s.next(0), 130u);
  EXPECT_TRUE(smp::CpuSet::only(smp::kMaxCpus).empty());
}

}  // namespace
