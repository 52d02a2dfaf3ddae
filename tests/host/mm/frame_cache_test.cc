// The per-CPU frame caches (kernel/mm/frame_cache.h) over a host arena: host threads bound to
// CPU numbers stand in for CPUs. Meant to run under ThreadSanitizer too.
#include "kernel/mm/frame_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "smp/platform/host/platform_host.h"
#include "tests/host/mm/host_arena.h"

namespace mm {
namespace {

using platform::host::bind_cpu;
constexpr std::uint64_t kPage = FrameAllocator::kFrameSize;
constexpr std::size_t kCapacity = CpuFrameCache::kCapacity;
constexpr std::size_t kBatch = CpuFrameCache::kBatch;

klib::CpuNumber cpu(std::uint32_t i) { return klib::CpuNumber{i}; }

// A 2 MiB arena (aligned_alloc wants a multiple of its 2 MiB alignment), `pool` frames of it
// free (the rest held by the fixture), the caches over it for `cpus` CPUs, and the free count
// at the start.
constexpr std::size_t kArenaBytes = 2 << 20;
constexpr std::uint64_t kWholeArena = kArenaBytes / kPage;

struct Fixture {
  Fixture(std::uint64_t pool, std::uint32_t cpus)
      : arena(kArenaBytes), slots(std::make_unique<CpuFrameCache[]>(cpus)),
        cache(arena.frames, slots.get(), cpus), free_at_start(hold_all_but(pool)) {
    platform::host::set_cpu_count(cpus);
    bind_cpu(cpu(0));
  }
  std::uint64_t hold_all_but(std::uint64_t pool) {
    const std::uint64_t total = arena.frames.stats().free_bytes / kPage;
    for (std::uint64_t i = 0; i + pool < total; ++i) {
      if (!arena.frames.alloc().ok()) std::abort();
    }
    return arena.frames.stats().free_bytes;
  }
  std::uint64_t frames_total() const { return free_at_start / kPage; }

  test::HostArena arena;
  std::unique_ptr<CpuFrameCache[]> slots;
  FrameCache cache;
  std::uint64_t free_at_start;
};

TEST(FrameCache, RefillsInABatchAndServesFromTheCache) {
  Fixture f(256, 2);
  auto a = f.cache.alloc();
  ASSERT_TRUE(a.ok());
  CpuFrameCacheStats s = f.cache.cpu_stats(cpu(0));
  EXPECT_EQ(s.refills, 1u);
  EXPECT_EQ(s.cached, kBatch - 1);
  // The cached frames count as free; the one handed out does not.
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start - kPage);
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, (kBatch - 1) * kPage);
  EXPECT_FALSE(f.arena.frames.is_free(a.value()));
  for (std::size_t i = 1; i < kBatch; ++i) ASSERT_TRUE(f.cache.alloc().ok());
  EXPECT_EQ(f.cache.cpu_stats(cpu(0)).refills, 1u);  // all 16 from the first batch
  ASSERT_TRUE(f.cache.free(a.value()).ok());
  EXPECT_TRUE(f.arena.frames.is_free(a.value()));
  EXPECT_EQ(f.cache.cpu_stats(cpu(0)).cached, 1u);
}

TEST(FrameCache, DoubleAndForeignFreesAreRefusedAndChangeNothing) {
  Fixture f(256, 2);
  auto a = f.cache.alloc();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(f.cache.free(a.value()).ok());
  const FrameStats before = f.arena.frames.stats();
  // Freed twice while it sits in this CPU's cache, and from another CPU.
  EXPECT_EQ(f.cache.free(a.value()).error(), FrameError::kDoubleFree);
  bind_cpu(cpu(1));
  EXPECT_EQ(f.cache.free(a.value()).error(), FrameError::kDoubleFree);
  bind_cpu(cpu(0));
  // Freed twice after the cache gave it back to the bitmap.
  EXPECT_GT(f.cache.drain_cpu(cpu(0)), 0u);
  EXPECT_EQ(f.cache.free(a.value()).error(), FrameError::kDoubleFree);
  // And the bitmap's own free sees a cached frame as free too.
  auto b = f.cache.alloc();
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(f.cache.free(b.value()).ok());
  EXPECT_EQ(f.arena.frames.free(b.value()).error(), FrameError::kDoubleFree);
  EXPECT_EQ(f.cache.free(test::HostArena::kPhysBase - kPage).error(), FrameError::kForeignFrame);
  EXPECT_EQ(f.cache.free(b.value() + 8).error(), FrameError::kBadArgument);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, before.free_bytes);
  EXPECT_EQ(f.cache.total_stats().bad_frames, 0u);
}

TEST(FrameCache, AFullCacheDrainsABatch) {
  Fixture f(kWholeArena, 2);
  std::vector<std::uint64_t> held;
  for (std::size_t i = 0; i < kCapacity + 1; ++i) held.push_back(f.arena.frames.alloc().value());
  for (std::uint64_t p : held) ASSERT_TRUE(f.cache.free(p).ok());
  const CpuFrameCacheStats s = f.cache.cpu_stats(cpu(0));
  EXPECT_EQ(s.drains, 1u);
  EXPECT_EQ(s.cached, kCapacity + 1 - kBatch);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, s.cached * kPage);
}

// The frames CPU 0 freed into its cache reach CPU 1 when the bitmap is empty, one after another,
// until none is left anywhere: nothing is stranded.
TEST(FrameCache, LowMemoryTakesTheFramesCachedOnOtherCpus) {
  Fixture f(256, 3);
  const std::uint64_t total = f.frames_total();
  std::vector<std::uint64_t> all;
  while (auto p = f.arena.frames.alloc()) all.push_back(p.value());
  ASSERT_EQ(all.size(), total);
  // CPU 0 frees 40 into its cache, CPU 2 frees 10: the bitmap stays empty.
  for (std::size_t i = 0; i < 40; ++i) ASSERT_TRUE(f.cache.free(all[i]).ok());
  bind_cpu(cpu(2));
  for (std::size_t i = 40; i < 50; ++i) ASSERT_TRUE(f.cache.free(all[i]).ok());
  EXPECT_EQ(f.arena.frames.stats().free_bytes - f.arena.frames.stats().cached_bytes, 0u);
  bind_cpu(cpu(1));
  std::set<std::uint64_t> got;
  while (auto p = f.cache.alloc()) ASSERT_TRUE(got.insert(p.value()).second);
  EXPECT_EQ(got.size(), 50u);  // every cached frame, none twice
  EXPECT_EQ(f.arena.frames.stats().free_bytes, 0u);
  EXPECT_EQ(f.cache.cpu_stats(cpu(0)).taken, 1u);
  EXPECT_EQ(f.cache.cpu_stats(cpu(2)).taken, 1u);
  EXPECT_EQ(f.cache.total_stats().cached, 0u);
  for (std::uint64_t p : got) ASSERT_TRUE(f.cache.free(p).ok());
  for (std::size_t i = 50; i < all.size(); ++i) ASSERT_TRUE(f.arena.frames.free(all[i]).ok());
  EXPECT_EQ(f.cache.drain_all(), 50u);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, 0u);
}

TEST(FrameCache, IdleDrainGivesBackOnlyAfterTheIdleTime) {
  Fixture f(256, 2);
  auto a = f.cache.alloc();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(f.cache.free(a.value()).ok());
  // The first look after the use notes the time; the cache goes an idle period after it.
  const std::uint64_t used = 5000;
  EXPECT_EQ(f.cache.drain_if_idle(used, 100), 0u);
  EXPECT_EQ(f.cache.drain_if_idle(used + 99, 100), 0u);
  EXPECT_EQ(f.cache.cpu_stats(cpu(0)).cached, kBatch);
  EXPECT_EQ(f.cache.drain_if_idle(used + 100, 100), kBatch);
  const CpuFrameCacheStats s = f.cache.cpu_stats(cpu(0));
  EXPECT_EQ(s.cached, 0u);
  EXPECT_EQ(s.idle_drains, 1u);
  EXPECT_EQ(f.cache.drain_if_idle(used + 1000, 100), 0u);  // nothing left: no second drain
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, 0u);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);
}

TEST(FrameCache, AUseRestartsTheIdlePeriod) {
  Fixture f(256, 2);
  auto a = f.cache.alloc();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(f.cache.free(a.value()).ok());
  EXPECT_EQ(f.cache.drain_if_idle(1000, 100), 0u);
  auto b = f.cache.alloc();  // used again within the period
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(f.cache.free(b.value()).ok());
  EXPECT_EQ(f.cache.drain_if_idle(1100, 100), 0u);
  EXPECT_EQ(f.cache.drain_if_idle(1199, 100), 0u);
  EXPECT_EQ(f.cache.drain_if_idle(1200, 100), kBatch);
}

TEST(FrameCache, CpusWithoutACacheUseTheBitmap) {
  Fixture f(256, 1);
  bind_cpu(cpu(3));
  auto a = f.cache.alloc();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, 0u);
  ASSERT_TRUE(f.cache.free(a.value()).ok());
  EXPECT_EQ(f.cache.free(a.value()).error(), FrameError::kDoubleFree);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);
}

// Four CPUs allocate and free with frees on other CPUs (a frame allocated on CPU t is freed by
// CPU t+1, passed through a shared hand-off slot), in a pool small enough that caches run the
// bitmap dry and the low-memory path runs. No frame is handed out twice; at the end, after the
// caches are drained, every counter is back to its start.
TEST(FrameCache, CrossCpuFreesUnderMemoryPressure) {
  constexpr std::uint32_t kCpus = 4;
  Fixture f(160, kCpus);
  std::unique_ptr<std::atomic<std::uint64_t>[]> owner(new std::atomic<std::uint64_t>[kWholeArena]);
  for (std::uint64_t i = 0; i < kWholeArena; ++i) owner[i] = 0;
  std::atomic<std::uint64_t> handoff[kCpus] = {};
  std::atomic<bool> bad{false};
  std::atomic<std::uint64_t> failures{0};
  auto index = [&](std::uint64_t phys) { return (phys - test::HostArena::kPhysBase) / kPage; };
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < kCpus; ++t) {
    threads.emplace_back([&, t] {
      bind_cpu(cpu(t));
      std::vector<std::uint64_t> held;
      for (int i = 0; i < 20000; ++i) {
        if (held.size() < 48 && (i % 5) != 4) {
          auto p = f.cache.alloc();
          if (!p) {
            failures.fetch_add(1);
          } else {
            // Claim the frame: a second owner means it was handed out twice.
            if (owner[index(p.value())].exchange(t + 1) != 0) bad = true;
            held.push_back(p.value());
          }
        }
        if (!held.empty() && (held.size() >= 48 || (i % 3) == 0)) {
          const std::uint64_t p = held.back();
          held.pop_back();
          // Pass it to the next CPU, free whatever it passed back.
          const std::uint64_t back = handoff[(t + 1) % kCpus].exchange(p);
          if (back != 0) {
            owner[index(back)] = 0;
            if (!f.cache.free(back).ok()) bad = true;
          }
        }
      }
      for (std::uint64_t p : held) {
        owner[index(p)] = 0;
        if (!f.cache.free(p).ok()) bad = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& slot : handoff) {
    if (const std::uint64_t p = slot.exchange(0)) {
      owner[index(p)] = 0;
      ASSERT_TRUE(f.cache.free(p).ok());
    }
  }
  EXPECT_FALSE(bad.load());
  const CpuFrameCacheStats s = f.cache.total_stats();
  EXPECT_GT(s.refills, 0u);
  EXPECT_EQ(s.bad_frames, 0u);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);  // cached frames are free
  f.cache.drain_all();
  EXPECT_EQ(f.cache.total_stats().cached, 0u);
  EXPECT_EQ(f.arena.frames.stats().cached_bytes, 0u);
  EXPECT_EQ(f.arena.frames.stats().free_bytes, f.free_at_start);
  std::uint64_t n = 0;
  while (f.arena.frames.alloc()) ++n;
  EXPECT_EQ(n, f.frames_total());  // every frame back in the bitmap, none lost
}

}  // namespace
}  // namespace mm
