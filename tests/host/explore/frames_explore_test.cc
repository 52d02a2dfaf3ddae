// The per-CPU frame caches (kernel/mm/frame_cache.h) under the interleaving explorer
// (docs/explorer.md): refills, drains to the bitmap (full cache, idle) and the low-memory path
// that takes frames from other CPUs' caches, raced against each other on 3 CPUs. The cache
// locks and the frame lock are interleaving points (their interrupt-flag changes and spins).
// And with two NUMA nodes: frames freed on a CPU of the other node, racing refills.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "explore_support.h"
#include "kernel/mm/frame_cache.h"
#include "tests/host/mm/host_arena.h"

namespace {

using exploretest::expect_clean;
namespace explore = platform::host::explore;
constexpr std::uint64_t kPage = mm::FrameAllocator::kFrameSize;

// The pool: kPool frames free in the bitmap, the rest of the arena held by the test. Each CPU
// holds at most kHold frames at once and kPool = 3 * kHold: every allocation must succeed, since
// whatever one CPU does not hold is free in the bitmap or in some cache.
constexpr std::uint32_t kCpus = 3;
constexpr std::uint64_t kHold = 8;
constexpr std::uint64_t kPool = kCpus * kHold;
constexpr std::size_t kArenaBytes = 2 << 20;  // aligned_alloc wants a multiple of 2 MiB
constexpr std::uint64_t kArenaFrames = kArenaBytes / kPage;

struct Scenario {
  Scenario() : arena(kArenaBytes), slots(std::make_unique<mm::CpuFrameCache[]>(kCpus)),
               cache(arena.frames, slots.get(), kCpus) {
    const std::uint64_t total = arena.frames.stats().free_bytes / kPage;
    for (std::uint64_t i = 0; i < total - kPool; ++i) {
      if (!arena.frames.alloc().ok()) std::abort();
    }
  }
  mm::test::HostArena arena;
  std::unique_ptr<mm::CpuFrameCache[]> slots;
  mm::FrameCache cache;
  // Plain: the explorer runs one CPU at a time. owner[frame] = cpu + 1 while handed out.
  std::uint8_t owner[kArenaFrames] = {};
  std::uint32_t finished = 0;
};

std::uint64_t frame_index(std::uint64_t phys) {
  return (phys - mm::test::HostArena::kPhysBase) / kPage;
}

void body(Scenario& s, std::uint32_t cpu) {
  std::uint64_t held[kHold];
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t i = 0; i < kHold; ++i) {
      auto p = s.cache.alloc();
      if (!p) explore::fail("an allocation failed while frames were free in caches or the bitmap");
      std::uint8_t& o = s.owner[frame_index(p.value())];
      if (o != 0) explore::fail("a frame was handed out twice");
      o = static_cast<std::uint8_t>(cpu + 1);
      held[i] = p.value();
    }
    for (std::uint64_t i = 0; i < kHold; ++i) {
      s.owner[frame_index(held[i])] = 0;
      if (!s.cache.free(held[i]).ok()) explore::fail("a free was refused");
    }
    // CPUs 0 and 2 go idle: their caches go back to the bitmap, where CPU 1 may refill from
    // them while it looks through the caches.
    if (cpu != 1 && explore::chance(1, 2)) s.cache.drain_if_idle(~0ull, 0);
  }
  if (++s.finished == kCpus) {
    s.cache.drain_all();
    const mm::FrameStats st = s.arena.frames.stats();
    if (st.cached_bytes != 0 || st.free_bytes != kPool * kPage) {
      explore::fail("frames lost or left cached after every cache was drained");
    }
    if (s.cache.total_stats().bad_frames != 0) explore::fail("a cache held a frame not cached");
  }
}

TEST(ExploreFrames, RefillAndDrainRaceTheLowMemoryPath) {
  for (explore::Strategy strategy : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    Scenario s;  // each schedule runs in a forked child: it starts from this state
    explore::Options o;
    o.strategy = strategy;
    o.steps_hint = 400;
    o.switch_odds = 3;
    auto r = explore::search(kCpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 2, o,
                             [&](std::uint32_t cpu) { body(s, cpu); });
    expect_clean(r, 50);
    if (r.found) return;
  }
}

// ---- Two nodes: the arena's lower half is node 0 (CPU 0), the upper half node 1 (CPUs 1, 2).
// Each CPU allocates kNodeHold frames, hands them to the next CPU (another node for CPUs 0 and
// 2's neighbours) to free, and frees what it was handed: remote frees go to their node's bitmap
// while refills take from it. A cache must only ever hold frames of its own node, and once every
// cache is drained each node must have all of its frames back.
constexpr std::uint64_t kNodeHold = 4;
constexpr std::uint64_t kNodePool = 16;  // free per node: 32 >= every frame held or handed

struct NodeScenario {
  NodeScenario() : arena(kArenaBytes), slots(std::make_unique<mm::CpuFrameCache[]>(kCpus)) {
    const std::uint64_t half = mm::test::HostArena::kPhysBase + kArenaBytes / 2;
    spans[0] = {mm::test::HostArena::kPhysBase, half, 0};
    spans[1] = {half, mm::test::HostArena::kPhysBase + kArenaBytes, 1};
    const mm::NodeLayout layout{spans, 2, 2, fallback};
    metadata.assign(arena.frames.node_metadata_bytes(layout) / 8 + 1, 0);
    if (!arena.frames.set_nodes(layout, metadata.data()).ok()) std::abort();
    for (std::uint32_t node = 0; node < 2; ++node) {
      while (arena.frames.node_stats(node).free_bytes / kPage > kNodePool) {
        if (!arena.frames.alloc(node).ok()) std::abort();
      }
    }
    for (std::uint32_t c = 0; c < kCpus; ++c) slots[c].node = c == 0 ? 0 : 1;
    cache = std::make_unique<mm::FrameCache>(arena.frames, slots.get(), kCpus);
  }
  mm::test::HostArena arena;
  mm::NodeSpan spans[2];
  const std::uint8_t fallback[4] = {0, 1, 1, 0};
  std::vector<std::uint64_t> metadata;
  std::unique_ptr<mm::CpuFrameCache[]> slots;
  std::unique_ptr<mm::FrameCache> cache;
  // Plain: the explorer runs one CPU at a time. mailbox[cpu]: frames handed to that CPU.
  std::uint64_t mailbox[kCpus][kNodeHold] = {};
  std::uint32_t finished = 0;
};

void node_body(NodeScenario& s, std::uint32_t cpu) {
  for (int round = 0; round < 2; ++round) {
    std::uint64_t (&next)[kNodeHold] = s.mailbox[(cpu + 1) % kCpus];
    for (std::uint64_t i = 0; i < kNodeHold; ++i) {
      auto p = s.cache->alloc();
      if (!p) explore::fail("an allocation failed while both nodes had free frames");
      if (next[i] == 0) {
        next[i] = p.value();
      } else if (!s.cache->free(p.value()).ok()) {
        explore::fail("a free was refused");
      }
    }
    for (std::uint64_t& handed : s.mailbox[cpu]) {
      if (handed != 0 && !s.cache->free(handed).ok()) explore::fail("a handed free was refused");
      handed = 0;
    }
  }
  if (++s.finished == kCpus) {
    for (std::uint32_t c = 0; c < kCpus; ++c) {
      const mm::CpuFrameCache& slot = s.slots[c];
      for (std::uint32_t i = 0; i < slot.count; ++i) {
        if (s.arena.frames.node_of(slot.frames[i]) != slot.node) {
          explore::fail("a cache held a frame of another node");
        }
      }
    }
    for (auto& box : s.mailbox) {
      for (std::uint64_t& handed : box) {
        if (handed != 0 && !s.cache->free(handed).ok()) explore::fail("a last free was refused");
        handed = 0;
      }
    }
    s.cache->drain_all();
    for (std::uint32_t node = 0; node < 2; ++node) {
      const mm::NodeFrameStats st = s.arena.frames.node_stats(node);
      if (st.cached_bytes != 0 || st.free_bytes != kNodePool * kPage) {
        explore::fail("a node did not get all of its frames back after every cache was drained");
      }
    }
    if (s.cache->total_stats().bad_frames != 0) explore::fail("a cache held a frame not cached");
  }
}

TEST(ExploreFrames, CrossNodeFreesRaceRefills) {
  for (explore::Strategy strategy : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    NodeScenario s;  // each schedule runs in a forked child: it starts from this state
    explore::Options o;
    o.strategy = strategy;
    o.steps_hint = 400;
    o.switch_odds = 3;
    auto r = explore::search(kCpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 2, o,
                             [&](std::uint32_t cpu) { node_body(s, cpu); });
    expect_clean(r, 50);
    if (r.found) return;
  }
}

}  // namespace
