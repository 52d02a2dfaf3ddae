// The heap's per-CPU magazine caches (kernel/mm/heap*.cc) with host threads playing CPUs:
// same-CPU reuse without the slab layer, frees on another CPU (producer/consumer), the drain
// when pages run out, every counter back to its start, and the fault checks on the cache path.
// Meant to run under ThreadSanitizer too (PLEIADES_SANITIZE=thread).
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

struct Recorded {
  HeapFault fault;
  const void* pointer;
};
// Faults from every thread, read after they are joined.
std::atomic<int> g_fault_count{0};
Recorded g_last_fault{};
std::atomic<bool> g_fault_lock{false};
void record(HeapFault fault, const void* p) {
  while (g_fault_lock.exchange(true, std::memory_order_acquire)) {
  }
  g_last_fault = {fault, p};
  g_fault_lock.store(false, std::memory_order_release);
  g_fault_count.fetch_add(1);
}

// Frees the page source refused: a heap bug.
std::atomic<int> g_page_errors{0};

void bind(std::uint32_t cpu) { platform::host::bind_cpu(platform::CpuNumber{cpu}); }

class HeapCacheTest : public ::testing::Test {
 protected:
  HeapCacheTest() : arena_(32 << 20), source_(arena_.frames, arena_.offset()), heap_(source_, record) {
    g_fault_count = 0;
    g_page_errors = 0;
    g_last_fault = {};
    bind(0);
    // drain() reaches CPUs 1..7 as the kernel's cross-CPU call would: their test threads have
    // ended (or are parked) whenever a test drains.
    test::flush_cpus_with_threads(heap_, 8);
    source_.set_error_hook([](FrameError, const void*) { g_page_errors.fetch_add(1); });
    free_at_start_ = arena_.frames.stats().free_bytes;
  }
  ~HeapCacheTest() override { bind(0); }

  // After a drain the heap holds nothing but live blocks: here, none at all.
  void expect_all_back() {
    heap_.drain();
    const HeapStats s = heap_.stats();
    EXPECT_EQ(s.small_in_use, 0u);
    EXPECT_EQ(s.large_in_use, 0u);
    EXPECT_EQ(s.cached_objects, 0u);
    EXPECT_EQ(s.magazines, 0u);
    EXPECT_EQ(s.slab_pages, 0u);
    EXPECT_EQ(s.large_pages, 0u);
    EXPECT_EQ(s.table_pages, 0u);
    EXPECT_EQ(arena_.frames.stats().free_bytes, free_at_start_);
    EXPECT_EQ(g_page_errors.load(), 0);
  }

  test::HostArena arena_;
  FramePageSource source_;
  Heap heap_;
  std::uint64_t free_at_start_ = 0;
};

TEST_F(HeapCacheTest, SameCpuChurnStaysInTheMagazines) {
  // Warm up: the first allocation fills a magazine from a slab.
  std::vector<void*> warm;
  for (int i = 0; i < 8; ++i) warm.push_back(heap_.allocate(64));
  for (void* p : warm) heap_.free(p);
  const HeapStats before = heap_.stats();
  EXPECT_GT(before.cached_objects, 0u);
  for (int round = 0; round < 10000; ++round) {
    void* a = heap_.allocate(64);
    void* b = heap_.allocate(64);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_NE(a, b);
    std::memset(a, 0x5a, 64);
    std::memset(b, 0xa5, 64);
    heap_.free(b, 64);
    heap_.free(a, 64);
    // Last in, first out: the same object comes back next.
    ASSERT_EQ(heap_.allocate(64), a);
    heap_.free(a, 64);
  }
  const HeapStats after = heap_.stats();
  // No slab, magazine or page moved: every operation stayed in this CPU's magazines.
  EXPECT_EQ(after.slab_pages, before.slab_pages);
  EXPECT_EQ(after.magazines, before.magazines);
  EXPECT_EQ(after.cached_objects, before.cached_objects);
  EXPECT_EQ(after.small_in_use, 0u);
  EXPECT_EQ(g_fault_count.load(), 0);
  expect_all_back();
}

TEST_F(HeapCacheTest, ProducerOnOneCpuConsumerFreesOnAnother) {
  constexpr int kObjects = 60000;
  constexpr int kRing = 256;
  struct Slot {
    std::atomic<void*> p{nullptr};
    std::atomic<std::size_t> size{0};
  };
  std::vector<Slot> ring(kRing);
  std::atomic<bool> corrupted{false};
  std::thread producer([&] {
    bind(0);
    std::uint64_t seed = 12345;
    for (int i = 0; i < kObjects; ++i) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      const std::size_t size = 1 + (seed >> 40) % Heap::kMaxSmall;
      auto* p = static_cast<std::uint8_t*>(heap_.allocate(size));
      if (p == nullptr) {
        corrupted = true;
        return;
      }
      std::memset(p, static_cast<int>(size & 0xff), size);
      Slot& slot = ring[static_cast<std::size_t>(i) % kRing];
      // Wait for the consumer to empty the slot (bounded by the consumer's progress).
      while (slot.p.load(std::memory_order_acquire) != nullptr) std::this_thread::yield();
      slot.size.store(size, std::memory_order_relaxed);
      slot.p.store(p, std::memory_order_release);  // publishes the object and its contents
    }
  });
  std::thread consumer([&] {
    bind(1);
    for (int i = 0; i < kObjects && !corrupted.load(); ++i) {
      Slot& slot = ring[static_cast<std::size_t>(i) % kRing];
      void* raw;
      while ((raw = slot.p.load(std::memory_order_acquire)) == nullptr && !corrupted.load()) {
        std::this_thread::yield();
      }
      if (raw == nullptr) return;
      const std::size_t size = slot.size.load(std::memory_order_relaxed);
      auto* p = static_cast<std::uint8_t*>(raw);
      for (std::size_t j = 0; j < size; ++j) {
        if (p[j] != static_cast<std::uint8_t>(size & 0xff)) corrupted = true;
      }
      slot.p.store(nullptr, std::memory_order_release);
      heap_.free(p, size);
    }
  });
  producer.join();
  consumer.join();
  EXPECT_FALSE(corrupted.load());
  EXPECT_EQ(g_fault_count.load(), 0);
  const HeapStats s = heap_.stats();
  EXPECT_EQ(s.small_in_use, 0u);
  // The consumer's frees filled magazines that went to the depot, where the producer found them
  // (or back to the slabs when the depot was full): at most the caches' bound is held.
  EXPECT_GT(s.cached_objects, 0u);
  expect_all_back();
}

TEST_F(HeapCacheTest, RunningOutOfPagesDrainsEveryCpu) {
  // CPUs 1..3 each fill and free objects of every class: their caches keep some, holding slabs.
  for (std::uint32_t cpu = 1; cpu <= 3; ++cpu) {
    std::thread t([&, cpu] {
      bind(cpu);
      std::vector<void*> held;
      for (std::size_t size = Heap::kMinSmall; size <= Heap::kMaxSmall; size <<= 1) {
        for (int i = 0; i < 300; ++i) held.push_back(heap_.allocate(size));
      }
      for (void* p : held) heap_.free(p);
    });
    t.join();
  }
  const HeapStats cached = heap_.stats();
  EXPECT_EQ(cached.small_in_use, 0u);
  EXPECT_GT(cached.cached_objects, 0u);
  EXPECT_GT(cached.slab_pages, 0u);
  EXPECT_EQ(cached.drains, 0u);
  // CPU 0 takes pages until there are none: the heap must drain the other CPUs' caches on the
  // way, so it ends up with every page of the arena but the large-block table's.
  std::vector<void*> pages;
  while (void* p = heap_.allocate(PageSource::kPageSize)) pages.push_back(p);
  const HeapStats full = heap_.stats();
  EXPECT_GE(full.drains, 1u);
  EXPECT_EQ(full.cached_objects, 0u);
  EXPECT_EQ(full.slab_pages, 0u);
  EXPECT_EQ(full.magazines, 0u);
  EXPECT_EQ(arena_.frames.stats().free_bytes, 0u);
  const std::uint64_t table_bytes = full.table_pages * PageSource::kPageSize;
  EXPECT_EQ(free_at_start_ - pages.size() * PageSource::kPageSize, table_bytes);
  // A small object now needs a slab: none left, so it fails cleanly.
  EXPECT_EQ(heap_.allocate(32), nullptr);
  for (void* p : pages) heap_.free(p, PageSource::kPageSize);
  EXPECT_EQ(g_fault_count.load(), 0);
  heap_.drain();
  EXPECT_EQ(arena_.frames.stats().free_bytes, free_at_start_ - table_bytes);
}

TEST_F(HeapCacheTest, DoubleFreeOfAnObjectInAnotherCpusMagazine) {
  void* keep = heap_.allocate(200);
  void* p = heap_.allocate(200);
  std::thread([&] {
    bind(1);
    heap_.free(p, 200);  // into CPU 1's magazine
  }).join();
  heap_.free(p, 200);  // CPU 0: the markers and the bitmap say it is free
  ASSERT_EQ(g_fault_count.load(), 1);
  EXPECT_EQ(g_last_fault.fault, HeapFault::kDoubleFree);
  EXPECT_EQ(g_last_fault.pointer, p);
  EXPECT_EQ(heap_.usable_size(p), 0u);
  EXPECT_EQ(heap_.usable_size(keep), 256u);
  heap_.free(keep);
  EXPECT_EQ(heap_.stats().faults, 1u);
  expect_all_back();
}

TEST_F(HeapCacheTest, DoubleFreeOfAnObjectBackInItsSlab) {
  void* keep = heap_.allocate(100);
  void* p = heap_.allocate(100);
  heap_.free(p);
  heap_.drain();  // p goes back to its slab (kept alive by `keep`)
  heap_.free(p);
  ASSERT_EQ(g_fault_count.load(), 1);
  EXPECT_EQ(g_last_fault.fault, HeapFault::kDoubleFree);
  EXPECT_EQ(g_last_fault.pointer, p);
  heap_.free(keep);
  expect_all_back();
}

TEST_F(HeapCacheTest, WriteAfterFreeFoundWhenTheMagazineIsFlushed) {
  auto* p = static_cast<std::uint64_t*>(heap_.allocate(48));
  heap_.free(p);
  p[0] = 7;  // written while it sits in this CPU's magazine
  heap_.drain();
  ASSERT_EQ(g_fault_count.load(), 1);
  EXPECT_EQ(g_last_fault.fault, HeapFault::kUseAfterFree);
  EXPECT_EQ(g_last_fault.pointer, p);
  expect_all_back();
}

TEST_F(HeapCacheTest, OverwrittenSlabFreeListIsRebuilt) {
  // Fill a 2048-byte slab's worth, free all but one, drain: the rest are in the slab's list.
  std::vector<std::uint64_t*> objects;
  for (int i = 0; i < 4; ++i) objects.push_back(static_cast<std::uint64_t*>(heap_.allocate(2048)));
  for (int i = 1; i < 4; ++i) heap_.free(objects[static_cast<std::size_t>(i)]);
  heap_.drain();
  // A write after free over a free object's list link (and its poison).
  objects[3][0] = 0x1234;
  objects[3][1] = 0x5678;
  std::vector<void*> again;
  for (int i = 0; i < 6; ++i) again.push_back(heap_.allocate(2048));
  for (void* p : again) ASSERT_NE(p, nullptr);
  // Reported once, and no object handed out twice.
  ASSERT_EQ(g_fault_count.load(), 1);
  EXPECT_EQ(g_last_fault.fault, HeapFault::kUseAfterFree);
  for (std::size_t i = 0; i < again.size(); ++i) {
    EXPECT_NE(again[i], objects[0]);
    for (std::size_t j = i + 1; j < again.size(); ++j) EXPECT_NE(again[i], again[j]);
  }
  for (void* p : again) heap_.free(p);
  heap_.free(objects[0]);
  expect_all_back();
}

TEST_F(HeapCacheTest, SlabHeaderAddressIsNotAnObject) {
  auto* p = static_cast<std::uint8_t*>(heap_.allocate(16));
  auto* header = reinterpret_cast<std::uint8_t*>(reinterpret_cast<std::uintptr_t>(p) &
                                                 ~(std::uintptr_t{Heap::kSlabSize} - 1));
  heap_.free(header);
  ASSERT_EQ(g_fault_count.load(), 1);
  EXPECT_EQ(g_last_fault.fault, HeapFault::kUnknownPointer);
  heap_.free(p);
  expect_all_back();
}

TEST_F(HeapCacheTest, AllocatesInInterruptContext) {
  void* outside = heap_.allocate(512);
  platform::host::irq_enter();
  void* inside = heap_.allocate(512);
  ASSERT_NE(inside, nullptr);
  heap_.free(outside, 512);
  platform::host::irq_exit();
  EXPECT_TRUE(platform::irqs_enabled());
  heap_.free(inside, 512);
  EXPECT_EQ(g_fault_count.load(), 0);
  expect_all_back();
}

TEST_F(HeapCacheTest, ManyCpusMixedSizesCrossFreesAllBack) {
  constexpr std::uint32_t kCpus = 4;
  constexpr int kRounds = 20000;
  // Each CPU hands every third object to the next CPU through a mailbox.
  struct Mailbox {
    std::atomic<bool> busy{false};
    std::vector<std::pair<void*, std::size_t>> items;
  };
  std::vector<Mailbox> boxes(kCpus);
  std::atomic<bool> corrupted{false};
  std::vector<std::thread> threads;
  for (std::uint32_t cpu = 0; cpu < kCpus; ++cpu) {
    threads.emplace_back([&, cpu] {
      bind(cpu);
      std::uint64_t seed = 1 + cpu;
      std::vector<std::pair<void*, std::size_t>> held;
      auto take_mail = [&] {
        Mailbox& box = boxes[cpu];
        while (box.busy.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
        auto items = std::move(box.items);
        box.items.clear();
        box.busy.store(false, std::memory_order_release);
        for (auto [p, size] : items) {
          if (static_cast<std::uint8_t*>(p)[size - 1] != static_cast<std::uint8_t>(size)) corrupted = true;
          heap_.free(p, size);
        }
      };
      for (int i = 0; i < kRounds; ++i) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const std::size_t size = (seed >> 60) == 0 ? 2049 + (seed >> 40) % 9000 : 1 + (seed >> 40) % 1500;
        auto* p = static_cast<std::uint8_t*>(heap_.allocate(size));
        if (p == nullptr) {
          corrupted = true;
          break;
        }
        p[size - 1] = static_cast<std::uint8_t>(size);
        if (i % 3 == 0) {
          Mailbox& box = boxes[(cpu + 1) % kCpus];
          while (box.busy.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
          box.items.emplace_back(p, size);
          box.busy.store(false, std::memory_order_release);
        } else {
          held.emplace_back(p, size);
          if (held.size() > 64) {
            heap_.free(held.front().first, held.front().second);
            held.erase(held.begin());
          }
        }
        if (i % 64 == 0) take_mail();
      }
      for (auto [p, size] : held) heap_.free(p, size);
      take_mail();
    });
  }
  for (auto& t : threads) t.join();
  // Mail sent after its receiver's last look: freed here, on CPU 0.
  for (auto& box : boxes) {
    for (auto [p, size] : box.items) heap_.free(p, size);
  }
  EXPECT_FALSE(corrupted.load());
  EXPECT_EQ(g_fault_count.load(), 0);
  EXPECT_EQ(heap_.stats().small_in_use, 0u);
  EXPECT_EQ(heap_.stats().large_in_use, 0u);
  heap_.drain();
  const HeapStats s = heap_.stats();
  EXPECT_EQ(s.cached_objects, 0u);
  EXPECT_EQ(s.slab_pages, 0u);
  EXPECT_EQ(s.magazines, 0u);
  // The large-block table stays.
  EXPECT_GT(s.table_pages, 0u);
  EXPECT_EQ(arena_.frames.stats().free_bytes + s.table_pages * PageSource::kPageSize, free_at_start_);
  EXPECT_EQ(g_page_errors.load(), 0);
}

}  // namespace
}  // namespace mm
