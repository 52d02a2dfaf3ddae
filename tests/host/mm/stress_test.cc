// Several host threads hammering the frame allocator and the heap at once: checks that no block
// is handed out twice and every byte comes back. Meant to run under ThreadSanitizer too
// (PLEIADES_SANITIZE=thread).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "kernel/mm/heap.h"
#include "smp/platform/host/platform_host.h"
#include "tests/host/mm/host_arena.h"
#include "tests/host/mm/remote_flush.h"

namespace mm {
namespace {

std::atomic<int> g_faults{0};
void count_fault(HeapFault, const void*) { g_faults.fetch_add(1); }

constexpr int kThreads = 4;

std::uint64_t next(std::uint64_t& s) { return s = s * 6364136223846793005ull + 1442695040888963407ull; }

TEST(MmStress, FramesFromManyThreads) {
  test::HostArena arena(16 << 20);
  const auto free_before = arena.frames.stats().free_bytes;
  std::atomic<bool> duplicate{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t seed = 99 + static_cast<std::uint64_t>(t);
      std::vector<std::pair<std::uint64_t, std::uint64_t>> held;
      for (int i = 0; i < 4000; ++i) {
        if (held.size() < 64 && (next(seed) >> 62) != 0) {
          const std::uint64_t pages = 1 + (next(seed) >> 61);
          auto phys = pages == 1 ? arena.frames.alloc() : arena.frames.alloc_contiguous(pages, 0);
          if (!phys) continue;
          // Stamp the owner into the frame: another thread seeing it means a double hand-out.
          auto* word = reinterpret_cast<std::uint64_t*>(phys.value() + arena.offset());
          *word = static_cast<std::uint64_t>(t) << 32 | static_cast<std::uint64_t>(i);
          held.emplace_back(phys.value(), pages);
        } else if (!held.empty()) {
          auto [phys, pages] = held.back();
          held.pop_back();
          if (!arena.frames.free_contiguous(phys, pages).ok()) duplicate = true;
        }
      }
      for (auto [phys, pages] : held) {
        if (!arena.frames.free_contiguous(phys, pages).ok()) duplicate = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(duplicate.load());
  EXPECT_EQ(arena.frames.stats().free_bytes, free_before);
}

TEST(MmStress, HeapFromManyThreads) {
  test::HostArena arena(64 << 20);
  FramePageSource source(arena.frames, arena.offset());
  Heap heap(source, count_fault);
  g_faults = 0;
  const auto free_before = arena.frames.stats().free_bytes;
  std::atomic<bool> corrupted{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // One CPU each (a CPU's cache has one user at a time, as on the machine).
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      std::uint64_t seed = 7 + static_cast<std::uint64_t>(t);
      struct Block {
        std::uint8_t* p;
        std::size_t size;
        std::uint8_t tag;
      };
      std::vector<Block> held;
      for (int i = 0; i < 20000; ++i) {
        if (held.size() < 200 && (next(seed) >> 63) != 0) {
          const std::uint64_t r = next(seed);
          const std::size_t size = (r >> 60) == 0 ? 2049 + (r >> 48) % 20000 : 1 + (r >> 40) % 600;
          auto* p = static_cast<std::uint8_t*>(heap.allocate(size));
          if (!p) continue;
          const auto tag = static_cast<std::uint8_t>(t * 50 + i);
          std::memset(p, tag, size);
          held.push_back({p, size, tag});
        } else if (!held.empty()) {
          const std::size_t k = next(seed) % held.size();
          Block b = held[k];
          held[k] = held.back();
          held.pop_back();
          for (std::size_t j = 0; j < b.size; ++j) {
            if (b.p[j] != b.tag) corrupted = true;
          }
          heap.free(b.p, b.size);
        }
      }
      for (auto& b : held) heap.free(b.p, b.size);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(corrupted.load());
  EXPECT_EQ(g_faults.load(), 0);
  auto s = heap.stats();
  EXPECT_EQ(s.small_in_use, 0u);
  EXPECT_EQ(s.large_in_use, 0u);
  // Once the per-CPU caches are drained (each CPU's by a thread bound to it, as the kernel's
  // cross-CPU call would) only the large-block table remains.
  platform::host::bind_cpu(platform::CpuNumber{0});
  test::flush_cpus_with_threads(heap, kThreads);
  heap.drain();
  s = heap.stats();
  EXPECT_EQ(s.cached_objects, 0u);
  EXPECT_EQ(s.magazines, 0u);
  EXPECT_EQ(s.slab_pages, 0u);
  EXPECT_LE(free_before - arena.frames.stats().free_bytes, 64 * 1024u);
}

}  // namespace
}  // namespace mm
