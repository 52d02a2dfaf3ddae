#include "kernel/mm/memory_map.h"

#include <gtest/gtest.h>

#include <vector>

namespace mm {
namespace {

using T = boot::EfiMemoryType;
constexpr std::uint64_t kPage = boot::kPageSize;

boot::MemoryRange entry(std::uint64_t start, std::uint64_t pages, T type,
                        std::uint64_t attributes = 0) {
  return boot::MemoryRange{start, pages, attributes, type, 0};
}

struct Normalized {
  std::vector<MapRange> ranges;
  AnomalyReport anomalies;
};

Normalized run(const std::vector<boot::MemoryRange>& entries) {
  std::vector<MapEvent> scratch(2 * entries.size() + 1);
  std::vector<MapRange> out(2 * entries.size() + 1);
  auto result = normalize(entries.data(), entries.size(), scratch.data(), scratch.size(),
                          out.data(), out.size());
  EXPECT_TRUE(result.ok());
  Normalized n;
  if (!result.ok()) return n;
  n.ranges.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(result.value().count));
  n.anomalies = result.value().anomalies;
  return n;
}

void expect_range(const MapRange& r, std::uint64_t base, std::uint64_t size, MemoryClass cls) {
  EXPECT_EQ(r.base, base);
  EXPECT_EQ(r.size, size);
  EXPECT_EQ(r.cls, cls);
}

TEST(MemoryMap, Classifies) {
  EXPECT_EQ(classify(T::kConventional), MemoryClass::kUsable);
  EXPECT_EQ(classify(T::kLoaderData), MemoryClass::kReclaimable);
  EXPECT_EQ(classify(T::kBootServicesCode), MemoryClass::kReclaimable);
  EXPECT_EQ(classify(T::kAcpiReclaim), MemoryClass::kKeptRam);
  EXPECT_EQ(classify(T::kRuntimeServicesData), MemoryClass::kKeptRam);
  EXPECT_EQ(classify(T::kPersistent), MemoryClass::kKeptRam);
  EXPECT_EQ(classify(T::kMemoryMappedIo), MemoryClass::kKept);
  EXPECT_EQ(classify(T::kUnusable), MemoryClass::kKept);
  EXPECT_EQ(classify(static_cast<T>(0x80000001)), MemoryClass::kKept);
}

TEST(MemoryMap, SortsAndMergesAdjacentSameClass) {
  auto n = run({entry(0x300000, 16, T::kConventional), entry(0x100000, 256, T::kConventional),
                entry(0x200000, 256, T::kConventional), entry(0x0, 1, T::kBootServicesData),
                entry(0x1000, 1, T::kLoaderData)});
  ASSERT_EQ(n.ranges.size(), 2u);
  expect_range(n.ranges[0], 0, 2 * kPage, MemoryClass::kReclaimable);
  expect_range(n.ranges[1], 0x100000, 0x210000, MemoryClass::kUsable);
  EXPECT_EQ(n.ranges[1].end(), 0x310000u);
  EXPECT_EQ(n.anomalies.count, 0u);
}

TEST(MemoryMap, DifferentClassesStaySeparate) {
  auto n = run({entry(0x0, 16, T::kConventional), entry(0x10000, 16, T::kAcpiNvs),
                entry(0x20000, 16, T::kConventional)});
  ASSERT_EQ(n.ranges.size(), 3u);
  EXPECT_EQ(n.ranges[1].cls, MemoryClass::kKeptRam);
}

TEST(MemoryMap, GapsAreNotRanges) {
  auto n = run({entry(0x0, 1, T::kConventional), entry(0x10000, 1, T::kConventional)});
  ASSERT_EQ(n.ranges.size(), 2u);
  expect_range(n.ranges[0], 0, kPage, MemoryClass::kUsable);
  expect_range(n.ranges[1], 0x10000, kPage, MemoryClass::kUsable);
}

TEST(MemoryMap, OverlapResolvesToMoreRestrictive) {
  // Usable 0..1 MiB with a reserved hole in the middle and a reclaimable piece over the end.
  auto n = run({entry(0x0, 256, T::kConventional), entry(0x40000, 16, T::kReserved),
                entry(0xf0000, 32, T::kLoaderData)});
  ASSERT_EQ(n.ranges.size(), 4u);
  expect_range(n.ranges[0], 0x0, 0x40000, MemoryClass::kUsable);
  expect_range(n.ranges[1], 0x40000, 0x10000, MemoryClass::kKept);
  expect_range(n.ranges[2], 0x50000, 0xa0000, MemoryClass::kUsable);
  expect_range(n.ranges[3], 0xf0000, 0x20000, MemoryClass::kReclaimable);
  EXPECT_EQ(n.anomalies.count, 2u);
  EXPECT_EQ(n.anomalies.first[0].kind, AnomalyKind::kOverlap);
}

TEST(MemoryMap, IdenticalDuplicatesAreOneOverlap) {
  auto n = run({entry(0x100000, 16, T::kConventional), entry(0x100000, 16, T::kConventional)});
  ASSERT_EQ(n.ranges.size(), 1u);
  expect_range(n.ranges[0], 0x100000, 16 * kPage, MemoryClass::kUsable);
  EXPECT_EQ(n.anomalies.count, 1u);
}

TEST(MemoryMap, TouchingRangesAreNotOverlaps) {
  auto n = run({entry(0x0, 1, T::kConventional), entry(0x1000, 1, T::kReserved)});
  EXPECT_EQ(n.anomalies.count, 0u);
  ASSERT_EQ(n.ranges.size(), 2u);
}

TEST(MemoryMap, ZeroLengthSkipped) {
  auto n = run({entry(0x1000, 0, T::kConventional), entry(0x2000, 1, T::kConventional)});
  ASSERT_EQ(n.ranges.size(), 1u);
  ASSERT_EQ(n.anomalies.count, 1u);
  EXPECT_EQ(n.anomalies.first[0].kind, AnomalyKind::kZeroLength);
  EXPECT_EQ(n.anomalies.first[0].index, 0u);
}

TEST(MemoryMap, UnalignedFreeShrinksKeptGrows) {
  auto n = run({entry(0x10800, 4, T::kConventional), entry(0x20800, 1, T::kReserved)});
  ASSERT_EQ(n.ranges.size(), 2u);
  // 0x10800..0x14800 usable -> whole pages 0x11000..0x14000.
  expect_range(n.ranges[0], 0x11000, 0x3000, MemoryClass::kUsable);
  // 0x20800..0x21800 reserved -> every touched page 0x20000..0x22000.
  expect_range(n.ranges[1], 0x20000, 0x2000, MemoryClass::kKept);
  EXPECT_EQ(n.anomalies.count, 2u);
  EXPECT_EQ(n.anomalies.first[0].kind, AnomalyKind::kUnaligned);
}

TEST(MemoryMap, UnalignedSinglePageFreeVanishes) {
  auto n = run({entry(0x10800, 1, T::kConventional)});
  EXPECT_TRUE(n.ranges.empty());
  EXPECT_EQ(n.anomalies.count, 1u);
}

TEST(MemoryMap, OverflowingEntries) {
  auto n = run({
      entry(0x100000, ~0ull, T::kConventional),             // wraps: dropped
      entry(0x200000, (1ull << 52) / kPage, T::kConventional),  // past 2^52: dropped
      entry(0x300000, ~0ull / 2, T::kReserved),              // kept: clamped to 2^52
      entry(1ull << 52, 1, T::kReserved),                    // starts beyond: skipped
      entry(~0ull & ~(kPage - 1), 2, T::kConventional),      // starts beyond: skipped
      entry(0x0, 1, T::kConventional),
  });
  ASSERT_EQ(n.ranges.size(), 2u);
  expect_range(n.ranges[0], 0, kPage, MemoryClass::kUsable);
  expect_range(n.ranges[1], 0x300000, (1ull << 52) - 0x300000, MemoryClass::kKept);
  EXPECT_EQ(n.anomalies.count, 5u);
  EXPECT_EQ(n.anomalies.first[0].kind, AnomalyKind::kOverflow);
  EXPECT_EQ(n.anomalies.first[2].kind, AnomalyKind::kOverflow);
  EXPECT_EQ(n.anomalies.first[3].kind, AnomalyKind::kBeyondLimit);
}

TEST(MemoryMap, ExactlyUpToLimitIsFine) {
  auto n = run({entry((1ull << 52) - kPage, 1, T::kConventional)});
  ASSERT_EQ(n.ranges.size(), 1u);
  EXPECT_EQ(n.ranges[0].end(), 1ull << 52);
  EXPECT_EQ(n.anomalies.count, 0u);
}

TEST(MemoryMap, AnomalyReportKeepsFirstFewAndCountsAll) {
  std::vector<boot::MemoryRange> entries;
  for (int i = 0; i < 10; ++i) entries.push_back(entry(0x1000u * i, 0, T::kConventional));
  auto n = run(entries);
  EXPECT_EQ(n.anomalies.count, 10u);
  EXPECT_EQ(n.anomalies.first[3].index, 3u);
}

TEST(MemoryMap, ScratchAndOutputCapacityChecked) {
  std::vector<boot::MemoryRange> entries = {entry(0, 1, T::kConventional),
                                            entry(0x10000, 1, T::kConventional)};
  MapEvent scratch[3];
  MapRange out[4];
  EXPECT_FALSE(normalize(entries.data(), 2, scratch, 3, out, 4).ok());
  MapEvent scratch4[4];
  auto r = normalize(entries.data(), 2, scratch4, 4, out, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), MapError::kOutputTooSmall);
}

TEST(MemoryMap, ManyRandomOverlapsStaySortedAndDisjoint) {
  std::vector<boot::MemoryRange> entries;
  std::uint64_t seed = 12345;
  auto next = [&seed] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull; };
  const T types[] = {T::kConventional, T::kLoaderData, T::kAcpiNvs, T::kReserved};
  for (int i = 0; i < 300; ++i) {
    entries.push_back(entry((next() >> 40) * kPage, 1 + (next() >> 54), types[next() >> 62]));
  }
  auto n = run(entries);
  for (std::size_t i = 0; i < n.ranges.size(); ++i) {
    EXPECT_GT(n.ranges[i].size, 0u);
    EXPECT_EQ(n.ranges[i].base % kPage, 0u);
    if (i > 0) {
      EXPECT_LE(n.ranges[i - 1].end(), n.ranges[i].base);
      if (n.ranges[i - 1].end() == n.ranges[i].base) {
        EXPECT_NE(n.ranges[i - 1].cls, n.ranges[i].cls);
      }
    }
  }
  // Every page of every reserved entry must come out kept.
  for (const auto& e : entries) {
    if (e.type != T::kReserved) continue;
    for (std::uint64_t p = e.physical_start; p < e.physical_start + e.page_count * kPage; p += kPage) {
      bool found = false;
      for (const auto& r : n.ranges) {
        if (p >= r.base && p < r.end()) {
          EXPECT_EQ(r.cls, MemoryClass::kKept);
          found = true;
        }
      }
      EXPECT_TRUE(found);
    }
  }
}

}  // namespace
}  // namespace mm
