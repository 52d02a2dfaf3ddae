// The per-CPU frame caches (kernel/mm/frame_cache.h) under the interleaving explorer
// (docs/explorer.md): refills, drains to the bitmap (full cache, idle) and the low-memory path
// that takes frames from other CPUs' caches, raced against each other on 3 CPUs. The cache
// locks and the frame lock are interleaving points (their interrupt-flag changes and spins).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

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

}  // namespace
