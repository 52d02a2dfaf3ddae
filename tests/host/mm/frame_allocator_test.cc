#include "kernel/mm/frame_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace mm {
namespace {

constexpr std::uint64_t kPage = FrameAllocator::kFrameSize;

// A normalized map built by hand, and an allocator over it with host metadata.
class Frames {
 public:
  explicit Frames(std::vector<MapRange> ranges, std::vector<PhysRange> reserved = {},
                  std::uint64_t metadata_phys = 0)
      : ranges_(std::move(ranges)) {
    map_.ranges = ranges_.data();
    map_.count = ranges_.size();
    metadata_.resize(FrameAllocator::metadata_bytes(map_) / 8 + 1);
    auto r = alloc.init(map_, reserved.data(), reserved.size(), metadata_.data(), metadata_phys);
    EXPECT_TRUE(r.ok());
  }
  FrameAllocator alloc;
  const NormalizedMap& map() const { return map_; }

 private:
  std::vector<MapRange> ranges_;
  NormalizedMap map_;
  std::vector<std::uint64_t> metadata_;
};

TEST(FrameAllocator, HandsOutEveryUsableFrameOnceThenExhausts) {
  Frames f({{0x100000, 64 * kPage, MemoryClass::kUsable},
            {0x200000, 8 * kPage, MemoryClass::kKept},
            {0x300000, 100 * kPage, MemoryClass::kUsable}});
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 164; ++i) {
    auto frame = f.alloc.alloc();
    ASSERT_TRUE(frame.ok()) << i;
    EXPECT_EQ(frame.value() % kPage, 0u);
    const bool in_first = frame.value() >= 0x100000 && frame.value() < 0x140000;
    const bool in_second = frame.value() >= 0x300000 && frame.value() < 0x364000;
    EXPECT_TRUE(in_first || in_second) << std::hex << frame.value();
    EXPECT_TRUE(seen.insert(frame.value()).second);
  }
  auto none = f.alloc.alloc();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), FrameError::kOutOfMemory);
  EXPECT_EQ(f.alloc.stats().free_bytes, 0u);
  ASSERT_TRUE(f.alloc.free(0x300000).ok());
  EXPECT_EQ(f.alloc.alloc().value(), 0x300000u);
}

// Linux's free lists are last in, first out, and so are ours: a frame freed behind the scan
// position (single frames, contiguous runs, batches back from a CPU cache) is the next one
// handed out, before frames never used. Walking on instead made first-touch faults under QEMU
// pay for the host backing fresh memory.
TEST(FrameAllocator, FreedFramesAreHandedOutBeforeUnusedOnes) {
  Frames f({{0x100000, 1024 * kPage, MemoryClass::kUsable}});
  std::vector<std::uint64_t> taken;
  for (int i = 0; i < 600; ++i) taken.push_back(f.alloc.alloc().value());
  ASSERT_TRUE(f.alloc.free(taken[3]).ok());
  EXPECT_EQ(f.alloc.alloc().value(), taken[3]);
  ASSERT_TRUE(f.alloc.free_contiguous(taken[100], 1).ok());
  EXPECT_EQ(f.alloc.alloc().value(), taken[100]);
  std::uint64_t batch[4];
  ASSERT_EQ(f.alloc.take_batch(batch, 4, 0), 4u);
  EXPECT_EQ(f.alloc.return_batch(batch, 4), 0u);
  std::set<std::uint64_t> returned(batch, batch + 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(returned.count(f.alloc.alloc().value()), 1u) << i;
}

TEST(FrameAllocator, ReservedRangesNeverHandedOut) {
  // Page 0, a "kernel image" and a "trampoline" inside usable memory, plus the metadata page.
  Frames f({{0x0, 256 * kPage, MemoryClass::kUsable}},
           {{0x0, kPage}, {0x20000, 0x10800}, {0x90000, kPage}}, 0xff000);
  std::set<std::uint64_t> got;
  while (true) {
    auto frame = f.alloc.alloc();
    if (!frame) break;
    got.insert(frame.value());
  }
  EXPECT_EQ(got.count(0), 0u);
  for (std::uint64_t p = 0x20000; p < 0x31000; p += kPage) EXPECT_EQ(got.count(p), 0u) << p;
  EXPECT_EQ(got.count(0x90000), 0u);
  EXPECT_EQ(got.count(0xff000), 0u);
  EXPECT_EQ(got.size(), 256u - 1 - 17 - 1 - 1);
  // Freeing a reserved frame is foreign, not a double free.
  EXPECT_EQ(f.alloc.free(0x20000).error(), FrameError::kForeignFrame);
  EXPECT_EQ(f.alloc.free(0x0).error(), FrameError::kForeignFrame);
}

TEST(FrameAllocator, DoubleAndForeignFreeDetected) {
  Frames f({{0x100000, 16 * kPage, MemoryClass::kUsable},
            {0x200000, 16 * kPage, MemoryClass::kReclaimable}});
  auto a = f.alloc.alloc();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(f.alloc.free(a.value()).ok());
  EXPECT_EQ(f.alloc.free(a.value()).error(), FrameError::kDoubleFree);
  EXPECT_EQ(f.alloc.free(0x500000).error(), FrameError::kForeignFrame);   // no region
  EXPECT_EQ(f.alloc.free(0x200000).error(), FrameError::kForeignFrame);   // not yet reclaimed
  EXPECT_EQ(f.alloc.free(0x100800).error(), FrameError::kBadArgument);    // unaligned
  // A run that is partly free is refused whole, and nothing changes.
  auto run = f.alloc.alloc_contiguous(4, 0);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(f.alloc.free(run.value() + kPage).ok());
  const auto before = f.alloc.stats().free_bytes;
  EXPECT_EQ(f.alloc.free_contiguous(run.value(), 4).error(), FrameError::kDoubleFree);
  EXPECT_EQ(f.alloc.stats().free_bytes, before);
  EXPECT_FALSE(f.alloc.is_free(run.value()));
  // A run past the end of its region is foreign.
  EXPECT_EQ(f.alloc.free_contiguous(0x100000 + 15 * kPage, 2).error(), FrameError::kForeignFrame);
}

TEST(FrameAllocator, ContiguousAlignedRuns) {
  Frames f({{0x1000, 1023 * kPage, MemoryClass::kUsable}});  // 0x1000..0x400000
  auto a = f.alloc.alloc_contiguous(16, 0x10000);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value() % 0x10000, 0u);
  auto b = f.alloc.alloc_contiguous(512, 0x200000);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value(), 0x200000u);
  for (std::uint64_t p = b.value(); p < b.value() + 512 * kPage; p += kPage) {
    EXPECT_FALSE(f.alloc.is_free(p));
  }
  // No second 2 MiB-aligned 2 MiB run exists.
  EXPECT_EQ(f.alloc.alloc_contiguous(512, 0x200000).error(), FrameError::kOutOfMemory);
  EXPECT_EQ(f.alloc.alloc_contiguous(1, 3 * kPage).error(), FrameError::kBadArgument);
  EXPECT_EQ(f.alloc.alloc_contiguous(0, 0).error(), FrameError::kBadArgument);
  EXPECT_EQ(f.alloc.alloc_contiguous(~0ull, 0).error(), FrameError::kBadArgument);
}

TEST(FrameAllocator, ContiguousSkipsFragmentation) {
  Frames f({{0x100000, 8 * kPage, MemoryClass::kUsable}});
  std::vector<std::uint64_t> frames;
  for (int i = 0; i < 8; ++i) frames.push_back(f.alloc.alloc_contiguous(1, 0).value());
  // Free frames 1, 3, 4, 5: the only 3-run is 3..5.
  for (int i : {1, 3, 4, 5}) ASSERT_TRUE(f.alloc.free(0x100000 + i * kPage).ok());
  auto run = f.alloc.alloc_contiguous(3, 0);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run.value(), 0x100000 + 3 * kPage);
  EXPECT_FALSE(f.alloc.alloc_contiguous(2, 0).ok());
}

TEST(FrameAllocator, ContiguousFindsRunPastManyBusyWords) {
  Frames f({{0x100000, 1000 * kPage, MemoryClass::kUsable}});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(f.alloc.alloc().ok());
  // Free 896..911 (a 16-aligned 16-run: 0x100000 is 16-frame aligned) and 700..707.
  for (int i = 896; i < 912; ++i) ASSERT_TRUE(f.alloc.free(0x100000 + i * kPage).ok());
  for (int i = 700; i < 708; ++i) ASSERT_TRUE(f.alloc.free(0x100000 + i * kPage).ok());
  auto run = f.alloc.alloc_contiguous(16, 16 * kPage);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run.value(), 0x100000 + 896 * kPage);
  auto eight = f.alloc.alloc_contiguous(8, 0);
  ASSERT_TRUE(eight.ok());
  EXPECT_EQ(eight.value(), 0x100000 + 700 * kPage);
  EXPECT_FALSE(f.alloc.alloc_contiguous(1, 0).ok());
}

TEST(FrameAllocator, BelowLimit) {
  Frames f({{0x1000, 255 * kPage, MemoryClass::kUsable},
            {0x10000000, 256 * kPage, MemoryClass::kUsable}});
  auto low = f.alloc.alloc_contiguous(1, 0, 0x100000);
  ASSERT_TRUE(low.ok());
  EXPECT_LT(low.value() + kPage, 0x100000u + 1);
  // Exhaust the low region through the limit, then the limit fails even though memory is free.
  int count = 1;
  while (f.alloc.alloc_contiguous(1, 0, 0x100000).ok()) ++count;
  EXPECT_EQ(count, 255);
  EXPECT_EQ(f.alloc.alloc_contiguous(1, 0, 0x100000).error(), FrameError::kOutOfMemory);
  // Without a limit, runs come from the highest region first.
  auto high = f.alloc.alloc_contiguous(1, 0);
  ASSERT_TRUE(high.ok());
  EXPECT_GE(high.value(), 0x10000000u);
  // A limit takes the highest memory that satisfies it, not the lowest.
  auto mid = f.alloc.alloc_contiguous(1, 0, 0x20000000);
  ASSERT_TRUE(mid.ok());
  EXPECT_GE(mid.value(), 0x10000000u);
  // A run must end at or below the limit, not just start below it.
  EXPECT_EQ(f.alloc.alloc_contiguous(4, 0, 0x10000000 + 3 * kPage).error(),
            FrameError::kOutOfMemory);
}

TEST(FrameAllocator, ReclaimAddsBootMemoryButNotPinned) {
  Frames f({{0x100000, 16 * kPage, MemoryClass::kUsable},
            {0x200000, 32 * kPage, MemoryClass::kReclaimable},
            {0x300000, 8 * kPage, MemoryClass::kKeptRam}},
           {{0x200000, 4 * kPage}});  // e.g. the kernel image in loader memory
  auto s = f.alloc.stats();
  EXPECT_EQ(s.total_ram_bytes, (16u + 32 + 8) * kPage);
  EXPECT_EQ(s.usable_bytes, 16u * kPage);
  EXPECT_EQ(s.pending_bytes, 32u * kPage);
  ASSERT_TRUE(f.alloc.pin({0x210000, 100}).ok());  // a boot stack page, unaligned size
  const std::uint64_t added = f.alloc.reclaim();
  EXPECT_EQ(added, (32u - 4 - 1) * kPage);
  EXPECT_EQ(f.alloc.reclaim(), 0u);
  EXPECT_FALSE(f.alloc.pin({0x220000, kPage}).ok());  // too late
  s = f.alloc.stats();
  EXPECT_EQ(s.reclaimed_bytes, added);
  EXPECT_EQ(s.usable_bytes, 16 * kPage + added);
  EXPECT_EQ(s.free_bytes, s.usable_bytes);
  EXPECT_FALSE(f.alloc.is_free(0x200000));
  EXPECT_FALSE(f.alloc.is_free(0x210000));
  EXPECT_TRUE(f.alloc.is_free(0x211000));
  std::set<std::uint64_t> got;
  while (auto frame = f.alloc.alloc()) got.insert(frame.value());
  EXPECT_EQ(got.size(), 16u + 27);
  for (std::uint64_t p : got) {
    EXPECT_FALSE(p >= 0x200000 && p < 0x204000);
    EXPECT_NE(p, 0x210000u);
    EXPECT_FALSE(p >= 0x300000 && p < 0x308000);
  }
}

TEST(FrameAllocator, PlaceMetadataAvoidsReservedAndLowMemory) {
  std::vector<MapRange> ranges = {{0x1000, 0x9f000, MemoryClass::kUsable},
                                  {0x100000, 0x100000, MemoryClass::kUsable},
                                  {0x200000, 0x100000, MemoryClass::kKept}};
  NormalizedMap map{ranges.data(), ranges.size(), {}};
  PhysRange reserved[] = {{0x100000, 0x80800}};
  auto at = FrameAllocator::place_metadata(map, 0x10000, reserved, 1);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at.value(), 0x181000u);
  // Too big for anything above 1 MiB: falls back to low memory.
  auto low = FrameAllocator::place_metadata(map, 0x90000, reserved, 1);
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(low.value(), 0x1000u);
  EXPECT_EQ(FrameAllocator::place_metadata(map, 0x200000, reserved, 1).error(),
            FrameError::kNoMetadataSpace);
}

TEST(FrameAllocator, InitTwiceRefused) {
  Frames f({{0x100000, 16 * kPage, MemoryClass::kUsable}});
  std::uint64_t meta[1];
  EXPECT_EQ(f.alloc.init(f.map(), nullptr, 0, meta, 0).error(), FrameError::kAlreadyInitialized);
}

}  // namespace
}  // namespace mm
