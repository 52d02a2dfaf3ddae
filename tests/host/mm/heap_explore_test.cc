// The heap's per-CPU caches under the interleaving explorer (docs/explorer.md): frees on another
// CPU, magazines exchanged with the depot, a drain from a third CPU while the others run, and
// an interrupt handler that allocates on a CPU that is itself allocating. Every holder stamps
// the objects it got and checks the stamp before freeing, so an object handed out twice is
// found; the last CPU to finish checks that every counter and page came back.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "kernel/mm/heap.h"
#include "smp/atomic.h"
#include "smp/platform/host/host_ipi.h"
#include "tests/host/explore/explore_support.h"
#include "tests/host/mm/host_arena.h"

namespace mm {
namespace {

using exploretest::expect_clean;
namespace explore = platform::host::explore;

// 2048-byte objects: 7 to a slab and a magazine, so a few dozen operations go through every
// layer (magazine exchange, depot full and empty lists, slab refill and release).
constexpr std::size_t kSize = 2048;
constexpr std::uint32_t kHandOver = 24;

void fault_hook(HeapFault fault, const void*) {
  explore::fail(fault == HeapFault::kDoubleFree ? "heap: double free reported"
                                                : "heap: fault reported");
}

struct World {
  World() : arena(4 << 20), source(arena.frames, arena.offset()), heap(source, fault_hook) {
    free_at_start = arena.frames.stats().free_bytes;
  }
  test::HostArena arena;
  FramePageSource source;
  Heap heap;
  std::uint64_t free_at_start = 0;
  smp::Atomic<void*> slots[kHandOver] = {};
  smp::Atomic<std::uint32_t> finished{0};
};

void stamp(void* p, std::uint64_t value) {
  auto* words = static_cast<std::uint64_t*>(p);
  for (std::size_t i = 2; i < kSize / 8; i += 32) words[i] = value;
}

void check_stamp(const void* p, std::uint64_t value) {
  const auto* words = static_cast<const std::uint64_t*>(p);
  for (std::size_t i = 2; i < kSize / 8; i += 32) {
    if (words[i] != value) explore::fail("an object was handed out twice (stamp overwritten)");
  }
}

void* take(World& w) {
  void* p = w.heap.allocate(kSize);
  if (p == nullptr) explore::fail("heap: out of memory");
  return p;
}

// Each CPU flushes its own magazines as it ends (what the kernel's cross-CPU call asks of an
// idle CPU); the last CPU to finish: every object was freed, so after a drain nothing is left.
void finish(World& w, std::uint32_t cpus) {
  w.heap.flush_this_cpu();
  if (w.finished.fetch_add(1) + 1 != cpus) return;
  HeapStats s = w.heap.stats();
  if (s.small_in_use != 0) explore::fail("small_in_use not back to 0");
  w.heap.drain();
  s = w.heap.stats();
  if (s.cached_objects != 0 || s.magazines != 0 || s.slab_pages != 0) {
    explore::fail("a drain left objects, magazines or slabs behind");
  }
  if (w.arena.frames.stats().free_bytes != w.free_at_start) explore::fail("pages not all back");
}

template <typename Body>
void explore_both(std::uint32_t cpus, const Body& body) {
  for (explore::Strategy strategy : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    explore::Options o;
    o.strategy = strategy;
    o.steps_hint = 2000;
    expect_clean(explore::search(cpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 2,
                                 o, body),
                 100);
  }
}

// CPU 0 allocates and hands every object to CPU 1, which frees it (into its own magazines, full
// ones going to the depot); CPU 2 allocates and frees locally, taking magazines from the depot,
// and drains half-way: its own cache and the depot at once, CPUs 0 and 1 flushing theirs at
// their next heap call, wherever they are in their own.
TEST(ExploreHeap, CrossCpuFreesDepotExchangeAndDrain) {
  auto world = std::make_unique<World>();
  World& w = *world;
  explore_both(3, [&](std::uint32_t cpu) {
    if (cpu == 0) {
      for (std::uint32_t i = 0; i < kHandOver; ++i) {
        void* p = take(w);
        stamp(p, 0x100 + i);
        w.slots[i].store(p);
      }
    } else if (cpu == 1) {
      for (std::uint32_t i = 0; i < kHandOver; ++i) {
        void* p;
        while ((p = w.slots[i].load()) == nullptr) platform::cpu_relax();
        check_stamp(p, 0x100 + i);
        w.heap.free(p, kSize);
      }
    } else {
      for (std::uint32_t round = 0; round < 6; ++round) {
        void* held[4];
        for (std::uint32_t i = 0; i < 4; ++i) {
          held[i] = take(w);
          stamp(held[i], 0x200 + round * 4 + i);
        }
        for (std::uint32_t i = 0; i < 4; ++i) {
          check_stamp(held[i], 0x200 + round * 4 + i);
          w.heap.free(held[i], kSize);
        }
        if (round == 2) w.heap.drain();
      }
    }
    finish(w, 3);
  });
}

// An interrupt handler on CPU 0 allocates and frees while CPU 0's own code is allocating and
// freeing the same class; CPU 1 raises the interrupts. Interrupts off around every use of the
// CPU's cache (it has no lock) must keep the handler out of CPU 0's critical sections.
World* g_irq_world = nullptr;
void irq_handler(void*) {
  void* p = take(*g_irq_world);
  stamp(p, 0x300);
  check_stamp(p, 0x300);
  g_irq_world->heap.free(p, kSize);
}

TEST(ExploreHeap, InterruptHandlerAllocatesOnABusyCpu) {
  auto world = std::make_unique<World>();
  World& w = *world;
  g_irq_world = &w;
  platform::host::set_ipi_handler(platform::IpiKind::kCallFunction, irq_handler, nullptr);
  explore_both(2, [&](std::uint32_t cpu) {
    if (cpu == 0) {
      for (std::uint32_t round = 0; round < 8; ++round) {
        void* held[3];
        for (std::uint32_t i = 0; i < 3; ++i) {
          held[i] = take(w);
          stamp(held[i], 0x400 + round * 3 + i);
        }
        for (std::uint32_t i = 0; i < 3; ++i) {
          check_stamp(held[i], 0x400 + round * 3 + i);
          w.heap.free(held[i], kSize);
        }
      }
    } else {
      for (std::uint32_t i = 0; i < 6; ++i) {
        platform::send_ipi(platform::CpuNumber{0}, platform::IpiKind::kCallFunction);
        explore::point();
      }
    }
    finish(w, 2);
  });
  platform::host::set_ipi_handler(platform::IpiKind::kCallFunction, nullptr, nullptr);
  g_irq_world = nullptr;
}

}  // namespace
}  // namespace mm
