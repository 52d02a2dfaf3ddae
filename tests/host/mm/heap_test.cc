#include "kernel/mm/heap.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "tests/host/mm/host_arena.h"

namespace mm {
namespace {

struct Recorded {
  HeapFault fault;
  const void* pointer;
};
thread_local std::vector<Recorded>* t_faults = nullptr;
void record(HeapFault fault, const void* p) {
  if (t_faults) t_faults->push_back({fault, p});
}

class HeapTest : public ::testing::Test {
 protected:
  HeapTest() : arena_(32 << 20), source_(arena_.frames, arena_.offset()), heap_(source_, record) {
    t_faults = &faults_;
  }
  ~HeapTest() override { t_faults = nullptr; }

  test::HostArena arena_;
  FramePageSource source_;
  Heap heap_;
  std::vector<Recorded> faults_;
};

TEST_F(HeapTest, ManySizesDistinctWritableAndInArena) {
  std::vector<std::pair<std::uint8_t*, std::size_t>> live;
  for (std::size_t size = 0; size < 9000; size += 37) {
    auto* p = static_cast<std::uint8_t*>(heap_.allocate(size));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(arena_.inside(p));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    EXPECT_GE(heap_.usable_size(p), size == 0 ? 1 : size);
    std::memset(p, static_cast<int>(size & 0xff), size);
    live.emplace_back(p, size);
  }
  // No two blocks overlap: each still holds its own pattern.
  for (auto [p, size] : live) {
    for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(p[i], static_cast<std::uint8_t>(size & 0xff));
  }
  for (auto [p, size] : live) heap_.free(p, size);
  EXPECT_TRUE(faults_.empty());
  auto s = heap_.stats();
  EXPECT_EQ(s.small_in_use, 0u);
  EXPECT_EQ(s.large_in_use, 0u);
  EXPECT_EQ(s.large_pages, 0u);
}

// The page source hands out every byte zeroed, whatever the frames held (frame_page_source.h:
// Linux's init_on_alloc, and QEMU's translations of code that once lay in the frame).
TEST(FramePageSourceTest, BlocksAreZeroedWhateverTheFramesHeld) {
  constexpr std::size_t kBytes = 4 << 20;
  test::HostArena arena(kBytes);
  FramePageSource source(arena.frames, arena.offset());
  std::memset(reinterpret_cast<void*>(test::HostArena::kPhysBase + arena.offset()), 0xcc, kBytes);
  for (std::size_t pages : {std::size_t{1}, std::size_t{3}, std::size_t{16}}) {
    auto* block = static_cast<std::uint8_t*>(source.alloc_pages(pages, PageSource::kPageSize));
    ASSERT_NE(block, nullptr);
    for (std::size_t i = 0; i < pages * PageSource::kPageSize; ++i) {
      ASSERT_EQ(block[i], 0) << pages << " pages, byte " << i;
    }
    std::memset(block, 0x5a, pages * PageSource::kPageSize);  // dirty again for the next round
    source.free_pages(block, pages);
  }
}

TEST_F(HeapTest, Alignment) {
  for (std::size_t align = 1; align <= 0x200000; align <<= 1) {
    for (std::size_t size : {std::size_t{1}, std::size_t{24}, std::size_t{3000}, align}) {
      void* p = heap_.allocate(size, align);
      ASSERT_NE(p, nullptr) << size << " " << align;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << size << " " << align;
      heap_.free(p, size, align);
    }
  }
  EXPECT_EQ(heap_.allocate(8, 24), nullptr);  // not a power of two
  EXPECT_TRUE(faults_.empty());
}

TEST_F(HeapTest, ReusesFreedObjects) {
  void* a = heap_.allocate(100);
  heap_.free(a);
  void* b = heap_.allocate(100);
  EXPECT_EQ(a, b);
  heap_.free(b);
  // Emptied slabs beyond the cached one go back to the frame allocator.
  const auto free_before = arena_.frames.stats().free_bytes;
  const auto slab_pages_before = heap_.stats().slab_pages;
  EXPECT_GT(slab_pages_before, 0u);
  std::vector<void*> many;
  for (int i = 0; i < 5000; ++i) many.push_back(heap_.allocate(64));
  EXPECT_LT(arena_.frames.stats().free_bytes, free_before);
  for (void* p : many) heap_.free(p);
  // Freed objects stay in this CPU's magazines and the depot until drained.
  EXPECT_GT(heap_.stats().cached_objects, 0u);
  heap_.drain();
  EXPECT_EQ(heap_.stats().cached_objects, 0u);
  // Every slab goes back, the cached empty ones and the magazines' own included.
  EXPECT_EQ(heap_.stats().slab_pages, 0u);
  EXPECT_EQ(arena_.frames.stats().free_bytes, free_before + slab_pages_before * 4096);
  EXPECT_TRUE(faults_.empty());
}

TEST_F(HeapTest, DoubleFreeSmallDetected) {
  void* p = heap_.allocate(40);
  void* keep = heap_.allocate(40);  // keeps the slab alive
  heap_.free(p);
  heap_.free(p);
  ASSERT_EQ(faults_.size(), 1u);
  EXPECT_EQ(faults_[0].fault, HeapFault::kDoubleFree);
  EXPECT_EQ(faults_[0].pointer, p);
  EXPECT_EQ(heap_.stats().faults, 1u);
  heap_.free(keep);
}

TEST_F(HeapTest, DoubleFreeLargeDetected) {
  void* p = heap_.allocate(50000);
  heap_.free(p);
  heap_.free(p);
  ASSERT_EQ(faults_.size(), 1u);
  EXPECT_EQ(faults_[0].fault, HeapFault::kUnknownPointer);
}

TEST_F(HeapTest, ForeignAndInteriorPointersDetected) {
  int on_stack = 0;
  heap_.free(&on_stack);
  auto* p = static_cast<char*>(heap_.allocate(256));
  heap_.free(p + 16);
  auto* big = static_cast<char*>(heap_.allocate(20000));
  heap_.free(big + 4096);
  ASSERT_EQ(faults_.size(), 3u);
  for (auto& f : faults_) EXPECT_EQ(f.fault, HeapFault::kUnknownPointer);
  EXPECT_EQ(heap_.usable_size(p + 16), 0u);
  heap_.free(p);
  heap_.free(big);
  EXPECT_EQ(faults_.size(), 3u);
}

TEST_F(HeapTest, SizedDeleteMismatchDetected) {
  void* p = heap_.allocate(30);  // 32-byte class
  heap_.free(p, 64);
  ASSERT_EQ(faults_.size(), 1u);
  EXPECT_EQ(faults_[0].fault, HeapFault::kSizeMismatch);
  heap_.free(p, 30);
  EXPECT_EQ(faults_.size(), 1u);
}

TEST_F(HeapTest, UseAfterFreeWriteDetectedOnReuse) {
  auto* p = static_cast<std::uint64_t*>(heap_.allocate(48));
  heap_.free(p);
  p[1] = 42;  // write after free
  void* again = heap_.allocate(48);
  EXPECT_EQ(again, p);
  ASSERT_EQ(faults_.size(), 1u);
  EXPECT_EQ(faults_[0].fault, HeapFault::kUseAfterFree);
  heap_.free(again);
}

// The tests above mostly meet their fault on a cold cache, where a free takes the slow path
// anyway (region not yet known, no magazine loaded). Here one free first warms it, so every
// free and allocation below starts on the fast path (Heap::cache_push, cache_pop), which must
// hand each fault to the slow path or report it.
TEST_F(HeapTest, ChecksHoldWithAWarmCache) {
  auto* a = static_cast<char*>(heap_.allocate(48));  // 64-byte class, one slab for all
  auto* b = static_cast<std::uint64_t*>(heap_.allocate(48));
  heap_.free(heap_.allocate(48));  // the slab's region known, a magazine loaded
  ASSERT_TRUE(faults_.empty());
  heap_.free(a, 128);
  heap_.free(a + 16);
  heap_.free(a);
  heap_.free(a);
  heap_.free(b);
  b[1] = 42;  // write after free
  void* again = heap_.allocate(48);  // the magazine's top: b
  EXPECT_EQ(again, b);
  ASSERT_EQ(faults_.size(), 4u);
  EXPECT_EQ(faults_[0].fault, HeapFault::kSizeMismatch);
  EXPECT_EQ(faults_[1].fault, HeapFault::kUnknownPointer);
  EXPECT_EQ(faults_[2].fault, HeapFault::kDoubleFree);
  EXPECT_EQ(faults_[2].pointer, static_cast<void*>(a));
  EXPECT_EQ(faults_[3].fault, HeapFault::kUseAfterFree);
  EXPECT_EQ(faults_[3].pointer, b);
  EXPECT_EQ(heap_.stats().faults, 4u);
  heap_.free(again);
  EXPECT_EQ(faults_.size(), 4u);
}

TEST_F(HeapTest, ExhaustionReturnsNull) {
  std::vector<void*> blocks;
  while (void* p = heap_.allocate(1 << 20)) blocks.push_back(p);
  EXPECT_GT(blocks.size(), 20u);
  EXPECT_LE(blocks.size(), 32u);
  EXPECT_EQ(heap_.allocate(std::size_t{1} << 62), nullptr);
  for (void* p : blocks) heap_.free(p);
  EXPECT_NE(heap_.allocate(1 << 20), nullptr);
  EXPECT_TRUE(faults_.empty());
}

TEST_F(HeapTest, LargeTableGrows) {
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) {
    void* p = heap_.allocate(4096);
    ASSERT_NE(p, nullptr);
    blocks.push_back(p);
  }
  for (void* p : blocks) EXPECT_EQ(heap_.usable_size(p), 4096u);
  for (void* p : blocks) heap_.free(p, 4096);
  EXPECT_TRUE(faults_.empty());
  EXPECT_EQ(heap_.stats().large_in_use, 0u);
}

// A page source that counts the heap's contains() questions (each takes the frame allocator's
// lock in the kernel's source).
class CountingSource final : public PageSource {
 public:
  explicit CountingSource(PageSource& inner) : inner_(inner) {}
  void* alloc_pages(std::size_t pages, std::size_t alignment) override {
    return inner_.alloc_pages(pages, alignment);
  }
  void free_pages(void* block, std::size_t pages) override { inner_.free_pages(block, pages); }
  bool contains(const void* p) const override {
    ++questions;
    return inner_.contains(p);
  }
  mutable std::uint64_t questions = 0;

 private:
  PageSource& inner_;
};

// A free asks the page source about a slab's region once, however many slabs the objects
// being freed span: 64 live objects of 1024 bytes lie in at least 5 slabs (15 objects each),
// 256 of them in at least 18, more than the 8 regions a CPU used to remember, so the old
// per-CPU table asked (and took the frame allocator's lock) on most frees.
TEST(HeapKnownRegions, FreesAskThePageSourceOncePerRegion) {
  test::HostArena arena(32 << 20);
  FramePageSource frames(arena.frames, arena.offset());
  CountingSource source(frames);
  std::vector<Recorded> faults;
  t_faults = &faults;
  Heap heap(source, record);
  constexpr std::size_t kLive = 256;
  std::vector<void*> ring(kLive);
  for (auto& p : ring) {
    p = heap.allocate(1024);
    ASSERT_NE(p, nullptr);
  }
  std::set<std::uintptr_t> regions;
  for (void* p : ring) regions.insert(reinterpret_cast<std::uintptr_t>(p) & ~(Heap::kSlabSize - 1));
  ASSERT_GT(regions.size(), 8u);  // more than the old table held
  // Free the oldest, allocate a new one, around the ring many times: the same-thread pattern.
  for (std::size_t i = 0; i < 50 * kLive; ++i) {
    void*& slot = ring[i % kLive];
    heap.free(slot, 1024);
    slot = heap.allocate(1024);
    ASSERT_NE(slot, nullptr);
  }
  for (void* p : ring) heap.free(p, 1024);
  t_faults = nullptr;
  EXPECT_TRUE(faults.empty());
  // Once per slab region (the magazines' own slabs are never freed into), not once per free.
  EXPECT_LE(source.questions, regions.size() + 4);
  EXPECT_EQ(heap.stats().small_in_use, 0u);
}

}  // namespace
}  // namespace mm
