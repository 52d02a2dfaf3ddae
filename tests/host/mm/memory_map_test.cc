#include "kernel/mm/memory_map.h"

#include "kernel/mm/frame_allocator.h"

#include <gtest/gtest.h>

#include <memory>
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
  // Room for one entry: the other is left out and counted, not an error.
  auto small = normalize(entries.data(), 2, scratch, 3, out, 4);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small.value().count, 1u);
  EXPECT_EQ(small.value().dropped_entries, 1u);
  EXPECT_EQ(small.value().dropped_free_bytes, kPage);
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

// ---- Large maps (limits: docs/memory-layout.md) ------------------------------------------

// `pairs` one-page conventional entries, each followed by a one-page reserved one, from 1 MiB
// up: 2 * pairs entries that do not merge.
std::vector<boot::MemoryRange> interleaved_map(std::size_t pairs) {
  std::vector<boot::MemoryRange> entries;
  for (std::size_t i = 0; i < pairs; ++i) {
    const std::uint64_t base = 0x100000 + 2 * i * kPage;
    entries.push_back(entry(base, 1, T::kConventional));
    entries.push_back(entry(base + kPage, 1, T::kReserved));
  }
  return entries;
}

TEST(MemoryMap, TwoThousandEntriesWithRoomForThemAllAreAllKept) {
  auto entries = interleaved_map(1000);
  ASSERT_EQ(entries.size(), 2000u);
  auto n = run(entries);
  ASSERT_EQ(n.ranges.size(), 2000u);
  for (std::size_t i = 0; i < n.ranges.size(); ++i) {
    expect_range(n.ranges[i], 0x100000 + i * kPage, kPage,
                 i % 2 == 0 ? MemoryClass::kUsable : MemoryClass::kKept);
  }
}

// The kernel's static buffers hold 1024 entries; with no free span for bigger ones, a map of
// 2000 keeps every reserved range and drops only free ones, counted.
TEST(MemoryMap, TwoThousandEntriesInRoomForOneThousandKeepEveryReservedRange) {
  auto entries = interleaved_map(1000);
  std::vector<MapEvent> scratch(2 * 1024);
  std::vector<MapRange> out(2 * 1024);
  auto r = normalize(entries.data(), entries.size(), scratch.data(), scratch.size(), out.data(),
                     out.size());
  ASSERT_TRUE(r.ok());
  const NormalizedMap& map = r.value();
  EXPECT_EQ(map.dropped_entries, 2000u - 1024u);
  EXPECT_EQ(map.dropped_kept_entries, 0u);
  EXPECT_EQ(map.dropped_free_bytes, (2000u - 1024u) * kPage);
  EXPECT_EQ(bytes_of_class(map, MemoryClass::kKept), 1000 * kPage);
  EXPECT_EQ(bytes_of_class(map, MemoryClass::kUsable), 24 * kPage);
  // Every reserved page is still kept, and no usable range covers one.
  for (std::size_t i = 0; i < 1000; ++i) {
    const std::uint64_t reserved = 0x100000 + (2 * i + 1) * kPage;
    bool kept = false;
    for (std::size_t k = 0; k < map.count; ++k) {
      const MapRange& x = out[k];
      if (reserved >= x.base && reserved < x.end()) kept = x.cls == MemoryClass::kKept;
    }
    EXPECT_TRUE(kept) << "reserved page " << i;
  }
}

TEST(MemoryMap, FreeSpanForLargeMapBuffers) {
  auto entries = interleaved_map(1000);  // one-page conventional entries: too small
  const std::uint64_t need = 2000 * 2 * (sizeof(MapEvent) + sizeof(MapRange));
  EXPECT_EQ(find_free_span(entries.data(), entries.size(), need, 0x100000, nullptr, 0), 0u);
  // A big conventional entry below the minimum, one overlapped by a reserved entry, one inside
  // an avoided range, and finally a clean one.
  entries.push_back(entry(0x10000, 64, T::kConventional));
  entries.push_back(entry(0x10000000, 256, T::kConventional));
  entries.push_back(entry(0x10001000, 1, T::kReserved));
  entries.push_back(entry(0x20000000, 256, T::kConventional));
  entries.push_back(entry(0x30000000, 256, T::kConventional));
  const PhysRange avoid[] = {{0x20010000, 0x1000}};
  EXPECT_EQ(find_free_span(entries.data(), entries.size(), need, 0x100000, avoid, 1),
            0x30000000u);
  EXPECT_EQ(find_free_span(entries.data(), entries.size(), need, 0x100000, nullptr, 0),
            0x20000000u);
  EXPECT_EQ(find_free_span(entries.data(), entries.size(), 0, 0x100000, nullptr, 0), 0u);
}

// More RAM regions than the frame allocator's 256: the first 256 (lowest addresses) are
// managed, the rest reported in unmanaged_bytes, and nothing fails.
TEST(MemoryMap, ThreeHundredRamRegionsAreManagedUpToTheLimitAndTheRestReported) {
  auto entries = interleaved_map(300);
  auto n = run(entries);
  ASSERT_EQ(n.ranges.size(), 600u);
  NormalizedMap map;
  map.ranges = n.ranges.data();
  map.count = n.ranges.size();
  auto frames = std::make_unique<FrameAllocator>();
  std::vector<std::uint64_t> metadata(FrameAllocator::metadata_bytes(map) / 8 + 1);
  ASSERT_TRUE(frames->init(map, nullptr, 0, metadata.data(), 0).ok());
  const FrameStats s = frames->stats();
  EXPECT_EQ(s.unmanaged_bytes, (300 - FrameAllocator::kMaxRegions) * kPage);
  EXPECT_EQ(s.usable_bytes, FrameAllocator::kMaxRegions * kPage);
  EXPECT_EQ(s.total_ram_bytes, 300 * kPage);
  // Every managed frame can be handed out; all lie in the first 256 regions.
  for (std::size_t i = 0; i < FrameAllocator::kMaxRegions; ++i) {
    auto f = frames->alloc();
    ASSERT_TRUE(f.ok());
    EXPECT_LT(f.value(), 0x100000 + 2 * FrameAllocator::kMaxRegions * kPage);
  }
  EXPECT_FALSE(frames->alloc().ok());
}

}  // namespace
}  // namespace mm
