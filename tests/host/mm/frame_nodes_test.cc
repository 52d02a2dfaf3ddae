// NUMA placement in the frame allocator (kernel/mm/frame_nodes.cc) and its per-CPU caches:
// regions split at node boundaries, allocation from the preferred node then nearest first,
// caches that refill from and drain to their own node, Linux's numastat counters. Fake physical
// addresses: the allocator never touches the memory it manages.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_cache.h"
#include "smp/platform/host/platform_host.h"

namespace mm {
namespace {

constexpr std::uint64_t kPage = FrameAllocator::kFrameSize;
constexpr std::uint64_t kMiB = 1 << 20;

klib::CpuNumber cpu(std::uint32_t i) { return klib::CpuNumber{i}; }

// An allocator over hand-made RAM ranges, and a node layout applied to it.
class NumaFrames {
 public:
  explicit NumaFrames(std::vector<MapRange> ranges, std::vector<PhysRange> reserved = {})
      : ranges_(std::move(ranges)) {
    map_.ranges = ranges_.data();
    map_.count = ranges_.size();
    metadata_.resize(FrameAllocator::metadata_bytes(map_) / 8 + 1);
    if (!frames.init(map_, reserved.data(), reserved.size(), metadata_.data(), 0).ok()) {
      std::abort();
    }
  }
  klib::Result<void, FrameError> set_nodes(std::vector<NodeSpan> spans, std::uint32_t nodes,
                                            std::vector<std::uint8_t> fallback) {
    spans_ = std::move(spans);
    fallback_ = std::move(fallback);
    const NodeLayout layout{spans_.data(), spans_.size(), nodes, fallback_.data()};
    const std::uint64_t bytes = frames.node_metadata_bytes(layout);
    node_metadata_.assign(bytes / 8 + 1, 0);
    return frames.set_nodes(layout, node_metadata_.data());
  }
  std::uint64_t free_frames(std::uint32_t node) const {
    return frames.node_stats(node).free_bytes / kPage;
  }

  FrameAllocator frames;

 private:
  std::vector<MapRange> ranges_;
  NormalizedMap map_;
  std::vector<std::uint64_t> metadata_;
  std::vector<NodeSpan> spans_;
  std::vector<std::uint8_t> fallback_;
  std::vector<std::uint64_t> node_metadata_;
};

// Two nodes of 4 MiB each in one RAM range: node 0 at [16 MiB, 20 MiB), node 1 above.
NumaFrames two_nodes() {
  return NumaFrames({{16 * kMiB, 8 * kMiB, MemoryClass::kUsable}});
}
constexpr std::uint64_t kNodeFrames = 4 * kMiB / kPage;

void split_two(NumaFrames& f) {
  ASSERT_TRUE(f.set_nodes({{16 * kMiB, 20 * kMiB, 0}, {20 * kMiB, 24 * kMiB, 1}}, 2,
                          {0, 1, 1, 0})
                  .ok());
}

TEST(FrameNodes, OneNodeWithoutALayout) {
  NumaFrames f = two_nodes();
  EXPECT_EQ(f.frames.node_count(), 1u);
  EXPECT_EQ(f.frames.node_stats(0).total_bytes, 8 * kMiB);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 0u);  // no such node
  auto a = f.frames.alloc(5);                         // out of range: node 0
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(f.frames.node_stats(0).numa_hit, 1u);
  EXPECT_EQ(f.frames.node_stats(0).local_node, 1u);
}

TEST(FrameNodes, SplitKeepsEveryFrameStateAndCountsPerNode) {
  NumaFrames f = two_nodes();
  // Hand out a pattern of frames on both sides of the boundary, some of them then freed.
  std::vector<std::uint64_t> held;
  for (int i = 0; i < 1500; ++i) held.push_back(f.frames.alloc().value());
  std::set<std::uint64_t> freed;
  for (std::size_t i = 0; i < held.size(); i += 3) {
    ASSERT_TRUE(f.frames.free(held[i]).ok());
    freed.insert(held[i]);
  }
  const FrameStats before = f.frames.stats();
  split_two(f);
  EXPECT_EQ(f.frames.node_count(), 2u);
  const FrameStats after = f.frames.stats();
  EXPECT_EQ(after.free_bytes, before.free_bytes);
  EXPECT_EQ(after.usable_bytes, before.usable_bytes);
  const NodeFrameStats n0 = f.frames.node_stats(0), n1 = f.frames.node_stats(1);
  EXPECT_EQ(n0.total_bytes, 4 * kMiB);
  EXPECT_EQ(n1.total_bytes, 4 * kMiB);
  EXPECT_EQ(n0.free_bytes + n1.free_bytes, after.free_bytes);
  for (std::uint64_t p = 16 * kMiB; p < 24 * kMiB; p += kPage) {
    EXPECT_EQ(f.frames.node_of(p), p < 20 * kMiB ? 0u : 1u);
  }
  for (std::uint64_t p : held) {
    EXPECT_EQ(f.frames.is_free(p), freed.count(p) == 1) << std::hex << p;
  }
  // The frames still handed out go back to their own node.
  std::uint64_t back[2] = {};
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (freed.count(held[i])) continue;
    ASSERT_TRUE(f.frames.free(held[i]).ok());
    ++back[f.frames.node_of(held[i])];
  }
  EXPECT_EQ(f.free_frames(0), n0.free_bytes / kPage + back[0]);
  EXPECT_EQ(f.free_frames(1), n1.free_bytes / kPage + back[1]);
  EXPECT_EQ(f.free_frames(0), kNodeFrames);
  EXPECT_EQ(f.free_frames(1), kNodeFrames);
}

TEST(FrameNodes, BoundaryInsideAWordAndInsideAFrame) {
  // A boundary 37 frames and a bit into the range: the frame holding it goes with the memory
  // below, and the bitmaps are copied across a word boundary.
  NumaFrames f({{0x100000, 200 * kPage, MemoryClass::kUsable}});
  const std::uint64_t boundary = 0x100000 + 37 * kPage + 100;
  std::vector<std::uint64_t> held;
  for (int i = 0; i < 200; ++i) held.push_back(f.frames.alloc().value());
  for (std::size_t i = 0; i < held.size(); i += 2) ASSERT_TRUE(f.frames.free(held[i]).ok());
  ASSERT_TRUE(f.set_nodes({{0, boundary, 0}, {boundary, 1ull << 40, 1}}, 2, {0, 1, 1, 0}).ok());
  EXPECT_EQ(f.frames.node_of(0x100000 + 37 * kPage), 0u);
  EXPECT_EQ(f.frames.node_of(0x100000 + 38 * kPage), 1u);
  EXPECT_EQ(f.frames.node_stats(0).total_bytes, 38 * kPage);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 162 * kPage);
  for (std::size_t i = 0; i < held.size(); ++i) EXPECT_EQ(f.frames.is_free(held[i]), i % 2 == 0);
  EXPECT_EQ(f.free_frames(0) + f.free_frames(1), 100u);
}

TEST(FrameNodes, MemoryOutsideEverySpanIsNodeZeros) {
  NumaFrames f({{0x100000, 64 * kPage, MemoryClass::kUsable}});
  // Node 1 covers the middle third only; the rest belongs to no span.
  ASSERT_TRUE(f.set_nodes({{0x100000 + 20 * kPage, 0x100000 + 40 * kPage, 1}}, 2, {0, 1, 1, 0})
                  .ok());
  EXPECT_EQ(f.frames.node_stats(0).total_bytes, 44 * kPage);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 20 * kPage);
  EXPECT_EQ(f.frames.node_of(0x100000), 0u);
  EXPECT_EQ(f.frames.node_of(0x100000 + 20 * kPage), 1u);
  EXPECT_EQ(f.frames.node_of(0x100000 + 40 * kPage), 0u);
}

TEST(FrameNodes, PrefersTheNodeThenFallsBackNearestFirst) {
  // Three nodes of 16 frames; node 0's fallback order is 0, 2, 1 (2 is nearer).
  NumaFrames f({{0x100000, 48 * kPage, MemoryClass::kUsable}});
  const std::uint64_t b1 = 0x100000 + 16 * kPage, b2 = 0x100000 + 32 * kPage;
  ASSERT_TRUE(f.set_nodes({{0x100000, b1, 0}, {b1, b2, 1}, {b2, b2 + 16 * kPage, 2}}, 3,
                          {0, 2, 1, /**/ 1, 0, 2, /**/ 2, 0, 1})
                  .ok());
  std::vector<std::uint32_t> got;
  for (int i = 0; i < 48; ++i) got.push_back(f.frames.node_of(f.frames.alloc(0).value()));
  for (int i = 0; i < 48; ++i) EXPECT_EQ(got[i], i < 16 ? 0u : i < 32 ? 2u : 1u) << i;
  EXPECT_FALSE(f.frames.alloc(0).ok());
  const NodeFrameStats n0 = f.frames.node_stats(0), n1 = f.frames.node_stats(1),
                       n2 = f.frames.node_stats(2);
  EXPECT_EQ(n0.numa_hit, 16u);
  EXPECT_EQ(n0.numa_foreign, 32u);
  EXPECT_EQ(n0.local_node, 16u);
  EXPECT_EQ(n2.numa_miss, 16u);
  EXPECT_EQ(n2.other_node, 16u);
  EXPECT_EQ(n1.numa_miss, 16u);
  EXPECT_EQ(n1.numa_hit, 0u);
  EXPECT_EQ(n1.free_bytes + n2.free_bytes + n0.free_bytes, 0u);
}

TEST(FrameNodes, LocalAndOtherFollowTheAskingCpusNode) {
  NumaFrames f = two_nodes();
  split_two(f);
  // A CPU of node 0 asking for node 1's memory: a hit on node 1, but not local.
  auto a = f.frames.alloc(1, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(f.frames.node_of(a.value()), 1u);
  const NodeFrameStats n1 = f.frames.node_stats(1);
  EXPECT_EQ(n1.numa_hit, 1u);
  EXPECT_EQ(n1.local_node, 0u);
  EXPECT_EQ(n1.other_node, 1u);
  EXPECT_EQ(f.frames.node_stats(0).numa_hit, 0u);
}

TEST(FrameNodes, RunsComeFromThePreferredNodeInPages) {
  NumaFrames f = two_nodes();
  split_two(f);
  auto low = f.frames.alloc_contiguous(8, 0, FrameAllocator::kNoLimit, 0);
  auto high = f.frames.alloc_contiguous(8, 0, FrameAllocator::kNoLimit, 1);
  ASSERT_TRUE(low.ok() && high.ok());
  EXPECT_EQ(f.frames.node_of(low.value()), 0u);
  EXPECT_EQ(f.frames.node_of(low.value() + 7 * kPage), 0u);
  EXPECT_EQ(f.frames.node_of(high.value()), 1u);
  EXPECT_EQ(f.frames.node_stats(0).numa_hit, 8u);
  EXPECT_EQ(f.frames.node_stats(1).numa_hit, 8u);
  // A limit only node 0 meets: node 1 preferred, node 0 gives (a miss there).
  auto limited = f.frames.alloc_contiguous(4, 0, 20 * kMiB, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(f.frames.node_of(limited.value()), 0u);
  EXPECT_EQ(f.frames.node_stats(0).numa_miss, 4u);
  EXPECT_EQ(f.frames.node_stats(1).numa_foreign, 4u);
}

TEST(FrameNodes, ReclaimableRegionsComeOnlineOnTheirNodes) {
  NumaFrames f({{16 * kMiB, 4 * kMiB, MemoryClass::kUsable},
                {20 * kMiB, 4 * kMiB, MemoryClass::kReclaimable}});
  split_two(f);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 0u);
  EXPECT_EQ(f.frames.reclaim(), 4 * kMiB);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 4 * kMiB);
  EXPECT_EQ(f.free_frames(1), kNodeFrames);
  EXPECT_EQ(f.frames.node_of(f.frames.alloc(1).value()), 1u);
}

TEST(FrameNodes, PinnedFramesAreNotCountedOnTheirNode) {
  NumaFrames f({{16 * kMiB, 8 * kMiB, MemoryClass::kUsable}},
               {{20 * kMiB, 16 * kPage}, {20 * kMiB + 8 * kPage, 16 * kPage}});  // overlapping
  split_two(f);
  EXPECT_EQ(f.frames.node_stats(0).total_bytes, 4 * kMiB);
  EXPECT_EQ(f.frames.node_stats(1).total_bytes, 4 * kMiB - 24 * kPage);
  EXPECT_EQ(f.free_frames(1), kNodeFrames - 24);
}

TEST(FrameNodes, TheFirstBitmapsBecomeFreeFrames) {
  // init's metadata block inside the RAM it manages (as in the kernel): pinned until the split
  // moves the bitmaps, then free frames of their node.
  std::vector<MapRange> ranges = {{16 * kMiB, 8 * kMiB, MemoryClass::kUsable}};
  NormalizedMap map{ranges.data(), ranges.size(), {}, 0, 0, 0};
  const std::uint64_t meta_bytes = FrameAllocator::metadata_bytes(map);
  const std::uint64_t meta_phys = 21 * kMiB;  // node 1
  std::vector<std::uint64_t> meta(meta_bytes / 8 + 1);
  FrameAllocator frames;
  ASSERT_TRUE(frames.init(map, nullptr, 0, meta.data(), meta_phys).ok());
  const std::uint64_t meta_frames = meta_bytes / kPage;
  ASSERT_GE(meta_frames, 1u);
  EXPECT_EQ(frames.stats().usable_bytes, 8 * kMiB - meta_bytes);
  EXPECT_FALSE(frames.manages(meta_phys));
  const NodeSpan spans[] = {{16 * kMiB, 20 * kMiB, 0}, {20 * kMiB, 24 * kMiB, 1}};
  const std::uint8_t fallback[] = {0, 1, 1, 0};
  const NodeLayout layout{spans, 2, 2, fallback};
  std::vector<std::uint64_t> node_meta(frames.node_metadata_bytes(layout) / 8 + 1);
  ASSERT_TRUE(frames.set_nodes(layout, node_meta.data()).ok());
  EXPECT_EQ(frames.stats().usable_bytes, 8 * kMiB);
  EXPECT_EQ(frames.stats().free_bytes, 8 * kMiB);
  EXPECT_TRUE(frames.manages(meta_phys));
  EXPECT_TRUE(frames.is_free(meta_phys));
  EXPECT_EQ(frames.node_stats(1).total_bytes, 4 * kMiB);
  EXPECT_EQ(frames.node_stats(1).free_bytes, 4 * kMiB);
}

TEST(FrameNodes, RefusesABadLayoutAndChangesNothing) {
  NumaFrames f = two_nodes();
  const std::vector<NodeSpan> spans = {{16 * kMiB, 20 * kMiB, 0}, {20 * kMiB, 24 * kMiB, 1}};
  EXPECT_EQ(f.set_nodes(spans, 2, {1, 0, 1, 0}).error(), FrameError::kBadNodeLayout);  // row 0
  EXPECT_EQ(f.set_nodes(spans, 2, {0, 0, 1, 0}).error(), FrameError::kBadNodeLayout);  // twice
  EXPECT_EQ(f.set_nodes({{16 * kMiB, 20 * kMiB, 2}}, 2, {0, 1, 1, 0}).error(),
            FrameError::kBadNodeLayout);  // node out of range
  EXPECT_EQ(f.set_nodes({{20 * kMiB, 20 * kMiB, 1}}, 2, {0, 1, 1, 0}).error(),
            FrameError::kBadNodeLayout);  // empty span
  EXPECT_EQ(f.set_nodes(spans, 0, {}).error(), FrameError::kBadNodeLayout);
  EXPECT_EQ(f.set_nodes(spans, FrameAllocator::kMaxNodes + 1, std::vector<std::uint8_t>(65 * 65))
                .error(),
            FrameError::kBadNodeLayout);
  // Alternating nodes every frame: more regions than the allocator holds.
  std::vector<NodeSpan> many;
  for (std::uint64_t i = 0; i < 600; ++i) {
    many.push_back({16 * kMiB + i * kPage, 16 * kMiB + (i + 1) * kPage, std::uint32_t(i % 2)});
  }
  EXPECT_EQ(f.set_nodes(many, 2, {0, 1, 1, 0}).error(), FrameError::kTooManyRegions);
  EXPECT_EQ(f.frames.node_count(), 1u);
  EXPECT_EQ(f.frames.node_stats(0).total_bytes, 8 * kMiB);
  split_two(f);
  EXPECT_EQ(f.set_nodes(spans, 2, {0, 1, 1, 0}).error(), FrameError::kAlreadyInitialized);
}

// ---- The per-CPU caches over two nodes: CPUs 0, 1 on node 0, CPUs 2, 3 on node 1. ----

struct NumaCaches {
  explicit NumaCaches(std::vector<MapRange> ranges = {{16 * kMiB, 8 * kMiB, MemoryClass::kUsable}})
      : f(std::move(ranges)), slots(std::make_unique<CpuFrameCache[]>(4)) {
    if (!f.set_nodes({{16 * kMiB, 20 * kMiB, 0}, {20 * kMiB, 24 * kMiB, 1}}, 2, {0, 1, 1, 0})
             .ok()) {
      std::abort();
    }
    for (std::uint32_t c = 0; c < 4; ++c) slots[c].node = c / 2;
    cache = std::make_unique<FrameCache>(f.frames, slots.get(), 4);
    platform::host::set_cpu_count(4);
  }
  NumaFrames f;
  std::unique_ptr<CpuFrameCache[]> slots;
  std::unique_ptr<FrameCache> cache;
};

TEST(FrameNodes, CachesRefillFromTheirCpusNode) {
  NumaCaches c;
  for (std::uint32_t i = 0; i < 4; ++i) {
    platform::host::bind_cpu(cpu(i));
    for (int k = 0; k < 40; ++k) {
      auto a = c.cache->alloc();
      ASSERT_TRUE(a.ok());
      EXPECT_EQ(c.f.frames.node_of(a.value()), i / 2);
    }
  }
  const NodeFrameStats n0 = c.cache->node_stats(0), n1 = c.cache->node_stats(1);
  EXPECT_EQ(n0.numa_hit, 80u);
  EXPECT_EQ(n0.local_node, 80u);
  EXPECT_EQ(n1.numa_hit, 80u);
  EXPECT_EQ(n0.numa_miss + n0.numa_foreign + n1.numa_miss + n1.numa_foreign, 0u);
  // Cached frames are counted free on their node.
  EXPECT_EQ(n0.free_bytes / kPage, kNodeFrames - 80);
  EXPECT_EQ(n0.cached_bytes / kPage, c.cache->cpu_stats(cpu(0)).cached + c.cache->cpu_stats(cpu(1)).cached);
}

TEST(FrameNodes, AnotherNodesFrameFreedHereGoesToItsNodeNotTheCache) {
  NumaCaches c;
  platform::host::bind_cpu(cpu(2));
  const std::uint64_t remote = c.cache->alloc().value();  // node 1
  platform::host::bind_cpu(cpu(0));
  const std::uint64_t local = c.cache->alloc().value();   // node 0
  const std::uint32_t cached_before = c.cache->cpu_stats(cpu(0)).cached;
  ASSERT_TRUE(c.cache->free(remote).ok());
  EXPECT_EQ(c.cache->cpu_stats(cpu(0)).cached, cached_before);
  EXPECT_EQ(c.cache->cpu_stats(cpu(0)).remote_frees, 1u);
  EXPECT_TRUE(c.f.frames.is_free(remote));
  EXPECT_EQ(c.cache->free(remote).error(), FrameError::kDoubleFree);
  ASSERT_TRUE(c.cache->free(local).ok());
  EXPECT_EQ(c.cache->cpu_stats(cpu(0)).cached, cached_before + 1);
  // Draining gives every node back all of its frames.
  c.cache->drain_all();
  EXPECT_EQ(c.f.free_frames(0), kNodeFrames);
  EXPECT_EQ(c.f.free_frames(1), kNodeFrames);
  EXPECT_EQ(c.f.frames.node_stats(0).cached_bytes + c.f.frames.node_stats(1).cached_bytes, 0u);
}

TEST(FrameNodes, ACacheWhoseNodeRanOutTakesFromTheNearestNode) {
  NumaCaches c;
  platform::host::bind_cpu(cpu(2));  // node 1
  std::vector<std::uint64_t> held;
  for (std::uint64_t i = 0; i < kNodeFrames; ++i) {
    auto a = c.cache->alloc();
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(c.f.frames.node_of(a.value()), 1u);
    held.push_back(a.value());
  }
  // Node 1 is out: the next frames come from node 0, counted as Linux counts them.
  for (int i = 0; i < 5; ++i) {
    auto a = c.cache->alloc();
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(c.f.frames.node_of(a.value()), 0u);
    held.push_back(a.value());
  }
  EXPECT_EQ(c.cache->cpu_stats(cpu(2)).cached, 0u);  // nothing of node 0 entered the cache
  const NodeFrameStats n0 = c.cache->node_stats(0), n1 = c.cache->node_stats(1);
  EXPECT_EQ(n0.numa_miss, 5u);
  EXPECT_EQ(n0.other_node, 5u);
  EXPECT_EQ(n1.numa_foreign, 5u);
  EXPECT_EQ(n1.numa_hit, kNodeFrames);
  EXPECT_EQ(n1.local_node, kNodeFrames);
  for (std::uint64_t p : held) ASSERT_TRUE(c.cache->free(p).ok());
  c.cache->drain_all();
  EXPECT_EQ(c.f.free_frames(0), kNodeFrames);
  EXPECT_EQ(c.f.free_frames(1), kNodeFrames);
}

TEST(FrameNodes, EveryFrameOfBothNodesIsFoundWhenMemoryRunsOut) {
  NumaCaches c({{16 * kMiB, 8 * kMiB, MemoryClass::kUsable}});
  // Fill the caches of CPUs 1 and 3, then CPU 0 takes everything: its node's bitmap, node 1's
  // bitmap, then the other caches.
  for (std::uint32_t i : {1u, 3u}) {
    platform::host::bind_cpu(cpu(i));
    auto a = c.cache->alloc();
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(c.cache->free(a.value()).ok());
  }
  platform::host::bind_cpu(cpu(0));
  std::set<std::uint64_t> seen;
  while (true) {
    auto a = c.cache->alloc();
    if (!a.ok()) break;
    ASSERT_TRUE(seen.insert(a.value()).second);
  }
  EXPECT_EQ(seen.size(), 2 * kNodeFrames);
  const NodeFrameStats n0 = c.cache->node_stats(0), n1 = c.cache->node_stats(1);
  EXPECT_EQ(n0.numa_hit + n0.numa_miss + n1.numa_hit + n1.numa_miss, 2 * kNodeFrames + 2);
  EXPECT_EQ(n1.numa_hit, 1u);            // CPU 3's own allocation
  EXPECT_EQ(n1.numa_miss, kNodeFrames);  // all of node 1, to CPU 0 (node 0)
  EXPECT_EQ(n0.numa_foreign, kNodeFrames);
}

// Threads on CPUs of both nodes allocate, hand frames to a thread of the other node to free,
// and free their own: at the end every frame is back on its own node, and the events add up to
// the allocations made. Run under ThreadSanitizer too.
TEST(FrameNodes, ConcurrentCrossNodeChurnKeepsTheCounts) {
  NumaCaches c;
  constexpr int kRounds = 3000;
  constexpr std::size_t kHandOff = 64;
  struct Mailbox {
    std::atomic<std::uint64_t> frame[kHandOff];
  };
  auto boxes = std::make_unique<Mailbox[]>(4);
  for (int t = 0; t < 4; ++t) {
    for (auto& slot : boxes[t].frame) slot.store(0);
  }
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(cpu(t));
      Mailbox& mine = boxes[t];
      Mailbox& other = boxes[(t + 2) % 4];  // a CPU of the other node
      for (int r = 0; r < kRounds; ++r) {
        auto a = c.cache->alloc();
        if (!a.ok()) {
          failures.fetch_add(1);
          continue;
        }
        allocations.fetch_add(1, std::memory_order_relaxed);
        if (r % 2 == 0) {
          // Hand it to the other node's CPU to free; free what it handed us.
          const std::uint64_t old = other.frame[r % kHandOff].exchange(a.value());
          if (old != 0 && !c.cache->free(old).ok()) failures.fetch_add(1);
        } else if (!c.cache->free(a.value()).ok()) {
          failures.fetch_add(1);
        }
        const std::uint64_t handed = mine.frame[(r * 7) % kHandOff].exchange(0);
        if (handed != 0 && !c.cache->free(handed).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  platform::host::bind_cpu(cpu(0));
  for (int t = 0; t < 4; ++t) {
    for (auto& slot : boxes[t].frame) {
      const std::uint64_t p = slot.exchange(0);
      if (p != 0) {
        ASSERT_TRUE(c.cache->free(p).ok());
      }
    }
  }
  EXPECT_EQ(failures.load(), 0);
  c.cache->drain_all();
  EXPECT_EQ(c.f.free_frames(0), kNodeFrames);
  EXPECT_EQ(c.f.free_frames(1), kNodeFrames);
  std::uint64_t events = 0;
  for (std::uint32_t n = 0; n < 2; ++n) {
    const NodeFrameStats s = c.cache->node_stats(n);
    events += s.numa_hit + s.numa_miss;
    EXPECT_EQ(s.numa_hit + s.numa_miss, s.local_node + s.other_node);
  }
  EXPECT_EQ(events, allocations.load());
  EXPECT_EQ(c.cache->total_stats().bad_frames, 0u);
  EXPECT_GT(c.cache->total_stats().remote_frees, 0u);
}

}  // namespace
}  // namespace mm
