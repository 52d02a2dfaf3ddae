// mm::init and friends: the boot-time wiring of the pure parts (memory_map, frame_allocator,
// heap) to the machine (kernel_space) and to the rest of the kernel (mm.h).
#include "kernel/mm/mm.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/mm/frame_page_source.h"
#include "kernel/mm/kernel_heap.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/memory_map.h"
#include "kernel/mm/numa_placement.h"
#include "smp/irq_guard.h"
#include "smp/platform/platform.h"

namespace mm {
namespace {

// Firmware maps hold tens to a few hundred entries: static normalization buffers (80 KiB) for
// 1024 are needed before any allocator exists. A larger map is normalized in buffers carved
// from free conventional memory (kept from the allocator afterwards); only if the firmware has
// no such room does it fall back to what the static buffers hold (normalize()'s overflow rule).
constexpr std::size_t kStaticMapEntries = 1024;
// A sanity bound on the count the loader hands over (40 MiB of map): beyond it the BootInfo is
// garbage, not a large machine.
constexpr std::uint64_t kMaxMapEntries = 1u << 20;
constexpr std::uint64_t kLowMemoryEnd = 0x100000;
constexpr std::uint64_t kMiB = 1024 * 1024;

MapEvent g_events[2 * kStaticMapEntries];
MapRange g_ranges[2 * kStaticMapEntries];
NormalizedMap g_map;
PhysRange g_large_map_buffers = {0, 0};  // buffers for a map above kStaticMapEntries

// Built in place by init() rather than by global constructors: operator new must not depend on
// the order of .init_array entries.
alignas(FrameAllocator) unsigned char g_frames_storage[sizeof(FrameAllocator)];
alignas(FramePageSource) unsigned char g_source_storage[sizeof(FramePageSource)];
alignas(Heap) unsigned char g_heap_storage[sizeof(Heap)];
FrameAllocator* g_frames = nullptr;
alignas(FrameCache) unsigned char g_cache_storage[sizeof(FrameCache)];
// Published (release) once built; read (acquire) by every single-frame allocation and free.
std::atomic<FrameCache*> g_cache{nullptr};
Heap* g_heap = nullptr;
bool g_reclaimed = false;

FrameAllocator& frames() {
  if (!g_frames) panic("mm: frame allocator used before mm::init");
  return *g_frames;
}

void on_heap_fault(HeapFault fault, const void* pointer) {
  panic("heap: {} ({:p})", describe(fault), pointer);
}

// A queue that stays full this long belongs to a CPU busy with interrupts off: its flag makes
// it flush at its next heap call anyway.
constexpr std::uint64_t kFlushQueueTimeoutNs = 1'000'000;

// Run by a cross-CPU call on each other CPU: from its IPI handler or while it spins on a lock
// of the lock library, never inside a heap call (the heap's locks are mm's IrqSpinLocks, which
// serve no calls), as Heap::flush_this_cpu requires.
void flush_this_cpu_call(const smp::CallArgs& args) { static_cast<Heap*>(args.ptr)->flush_this_cpu(); }

// The heap's RemoteFlush: every other online CPU flushes its own magazines in a cross-CPU
// call. Asynchronous, since drain() may run in an interrupt handler or inside another call,
// where a synchronous call is refused (drain_kernel_heap waits where it can).
void flush_other_cpus(Heap& heap, void*) {
  if (!kcpus::call_service_ready()) return;  // before the APs take calls: nothing cached there
  smp::CallArgs args;
  args.ptr = &heap;  // the kernel heap: static storage, outlives the call
  const bool queued = kcpus::call_on_all_but_self(flush_this_cpu_call, args, smp::CallMode::kAsync,
                                                  kFlushQueueTimeoutNs);
  (void)queued;  // a failure is reported by the call service; the flags remain
}

// True when this CPU may make a synchronous cross-CPU call: not in an interrupt handler and not
// inside the wait of another synchronous call (the service refuses both, with a panic).
bool may_wait_for_calls() {
  if (!kcpus::call_service_ready() || platform::in_interrupt()) return false;
  smp::IrqGuard irq;  // `waiting` is this CPU's own, read on this CPU
  return !kcpus::call_service()->cpu(platform::current_cpu()).waiting;
}

void on_page_source_error(FrameError error, const void* block) {
  panic("heap: returning pages at {:p} failed: {}", block, describe(error));
}

const NormalizedMap& normalize_boot_map(const boot::BootInfo& info) {
  const std::uint64_t count = info.memory_map_count;
  const std::uint64_t bytes = count * sizeof(boot::MemoryRange);
  // Without a memory map there is no memory to run in: this one cannot be carried on from.
  if (count == 0 || count > kMaxMapEntries || info.memory_map == 0 ||
      info.memory_map >= kMaxPhysicalAddress || bytes > kMaxPhysicalAddress - info.memory_map) {
    panic("mm: memory map at {:#x} with {} entries is unusable (1..{} supported)",
          info.memory_map, count, kMaxMapEntries);
  }
  const auto* entries = phys_to<const boot::MemoryRange>(info.memory_map);
  MapEvent* events = g_events;
  MapRange* ranges = g_ranges;
  std::size_t capacity = 2 * kStaticMapEntries;
  if (count > kStaticMapEntries) {
    const std::uint64_t events_bytes = 2 * count * sizeof(MapEvent);
    const std::uint64_t need = events_bytes + 2 * count * sizeof(MapRange);
    const PhysRange avoid[] = {{info.kernel_physical_base, info.kernel_physical_size},
                              {info.memory_map, bytes},
                              {info.trampoline_page, info.trampoline_valid ? boot::kPageSize : 0}};
    const std::uint64_t at = find_free_span(entries, count, need, kLowMemoryEnd, avoid, 3);
    if (at != 0) {
      events = phys_to<MapEvent>(at);
      ranges = phys_to<MapRange>(at + events_bytes);  // 8-byte aligned: events_bytes is
      capacity = 2 * count;
      g_large_map_buffers = {at, (need + boot::kPageSize - 1) & ~(boot::kPageSize - 1)};
      klog::info("mm: memory map of {} entries (static room for {}): normalized in {} KiB at "
                 "{:#x}, kept", count, kStaticMapEntries, g_large_map_buffers.size / 1024, at);
    }
  }
  auto normalized = normalize(entries, count, events, capacity, ranges, capacity);
  if (!normalized) panic("mm: memory map normalization failed: {}", describe(normalized.error()));
  g_map = normalized.value();
  if (g_map.dropped_entries > 0) {
    klog::warn("mm: memory map of {} entries, no free range to normalize it in: {} entries left "
               "out ({} reserved ones, kept ranges first), {} KiB of RAM not used", count,
               g_map.dropped_entries, g_map.dropped_kept_entries,
               g_map.dropped_free_bytes / 1024);
  }
  const AnomalyReport& a = g_map.anomalies;
  if (a.count > 0) {
    klog::warn("mm: firmware memory map has {} anomalies", a.count);
    for (std::uint32_t i = 0; i < a.count && i < AnomalyReport::kKept; ++i) {
      klog::warn("mm:   entry {} at {:#x}: {}", a.first[i].index, a.first[i].address,
                 describe(a.first[i].kind));
    }
  }
  for (std::size_t i = 0; i < g_map.count; ++i) {
    klog::debug("mm: [{:#014x}, {:#014x}) {}", g_map.ranges[i].base, g_map.ranges[i].end(),
                describe(g_map.ranges[i].cls));
  }
  return g_map;
}

void build_frame_allocator(const boot::BootInfo& info, const NormalizedMap& map) {
  // Never handed out: page 0 (a null physical address must stay invalid), the kernel image, and
  // the AP trampoline page.
  // And the buffers a large map was normalized in (g_map.ranges lives there).
  PhysRange reserved[4] = {{0, boot::kPageSize},
                           {info.kernel_physical_base, info.kernel_physical_size},
                           {0, 0},
                           g_large_map_buffers};
  if (info.kernel_physical_size == 0 || info.kernel_physical_base >= kMaxPhysicalAddress ||
      info.kernel_physical_size > kMaxPhysicalAddress - info.kernel_physical_base) {
    panic("mm: kernel image block {:#x}+{:#x} is invalid", info.kernel_physical_base,
          info.kernel_physical_size);
  }
  if (info.trampoline_valid) {
    if (info.trampoline_page >= kLowMemoryEnd || (info.trampoline_page & (boot::kPageSize - 1))) {
      klog::warn("mm: trampoline page {:#x} is not a page below 1 MiB; kept reserved anyway",
                 info.trampoline_page);
    }
    if (info.trampoline_page < kMaxPhysicalAddress) {
      reserved[2] = {info.trampoline_page, boot::kPageSize};
    }
  }
  const std::uint64_t meta_bytes = FrameAllocator::metadata_bytes(map);
  auto meta_phys = FrameAllocator::place_metadata(map, meta_bytes, reserved, 4);
  if (!meta_phys) panic("mm: no room for {} bytes of frame metadata", meta_bytes);
  g_frames = new (g_frames_storage) FrameAllocator();
  auto built = g_frames->init(map, reserved, 4, phys_to_virt(meta_phys.value()), meta_phys.value());
  if (!built) panic("mm: frame allocator: {}", describe(built.error()));
  klog::debug("mm: frame metadata {} KiB at {:#x}", meta_bytes / 1024, meta_phys.value());
}

}  // namespace

Heap* kernel_heap() { return g_heap; }

void drain_kernel_heap() {
  if (g_heap == nullptr) return;
  if (may_wait_for_calls()) {
    // The other CPUs flush first and are waited for, so the drain below finds their objects
    // back in the slabs and gives every empty slab away.
    smp::CallArgs args;
    args.ptr = g_heap;
    const bool done = kcpus::call_on_all_but_self(flush_this_cpu_call, args, smp::CallMode::kSync);
    (void)done;  // a CPU that did not answer was reported; it flushes at its next heap call
  }
  g_heap->drain();
}

void init(const boot::BootInfo& info) {
  if (g_frames) panic("mm::init called twice");
  const NormalizedMap& map = normalize_boot_map(info);
  build_frame_allocator(info, map);
  build_kernel_space(info, map, *g_frames);
  auto* source = new (g_source_storage) FramePageSource(*g_frames, boot::kDirectMapBase);
  source->set_error_hook(on_page_source_error);
  source->set_node_of_cpu(&cpu_node);  // node 0 until set_numa
  g_heap = new (g_heap_storage) Heap(*source, on_heap_fault);
  g_heap->set_remote_flush(flush_other_cpus, nullptr);
  const FrameStats s = g_frames->stats();
  klog::info("mm: {} MiB RAM, {} MiB usable ({} MiB free), {} MiB reclaimable after boot",
             s.total_ram_bytes / kMiB, s.usable_bytes / kMiB, s.free_bytes / kMiB,
             s.pending_bytes / kMiB);
  if (s.unmanaged_bytes > 0) {
    // KiB, not MiB: the regions past the limit may be small, and "0 MiB" would hide them.
    klog::warn("mm: {} KiB of RAM ignored (more than {} regions)", s.unmanaged_bytes / 1024,
               FrameAllocator::kMaxRegions);
  }
}

void reclaim_boot_memory() {
  if (g_reclaimed) return;
  // The loader's page tables are boot memory: they must be out of use first.
  if (kernel_pml4() == 0 || ::arch::read_cr3() != kernel_pml4()) {
    panic("mm: reclaim_boot_memory before the kernel page tables are loaded");
  }
  g_reclaimed = true;
  const std::uint64_t bytes = frames().reclaim();
  const FrameStats s = frames().stats();
  klog::info("mm: {} MiB RAM, {} MiB usable, reclaimed {} MiB", s.total_ram_bytes / kMiB,
             s.usable_bytes / kMiB, bytes / kMiB);
}

Stats stats() {
  const FrameStats s = frames().stats();
  return Stats{.total_bytes = s.total_ram_bytes,
               .usable_bytes = s.usable_bytes,
               .free_bytes = s.free_bytes,
               .reclaimed_bytes = s.reclaimed_bytes};
}

void start_frame_caches() {
  if (g_cache.load(std::memory_order_relaxed) != nullptr) return;
  const std::uint32_t cpus = platform::cpu_count();
  auto* slots = new (std::nothrow) CpuFrameCache[cpus];
  if (slots == nullptr) {
    klog::warn("mm: no memory for {} per-CPU frame caches: frames come from the bitmap", cpus);
    return;
  }
  for (std::uint32_t c = 0; c < cpus; ++c) slots[c].node = cpu_node(klib::CpuNumber{c});
  auto* cache = new (g_cache_storage) FrameCache(frames(), slots, cpus);
  g_cache.store(cache, std::memory_order_release);  // the slots before the pointer
  klog::info("mm: per-CPU frame caches on {} CPUs ({} frames each, batches of {})", cpus,
             CpuFrameCache::kCapacity, CpuFrameCache::kBatch);
}

void frame_cache_idle() {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  if (cache == nullptr) return;
  const std::uint64_t idle_cycles =
      platform::cycles_per_second() / (1'000'000'000 / kFrameCacheIdleNs);
  cache->drain_if_idle(platform::cycles(), idle_cycles);
}

std::size_t drain_frame_caches() {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  return cache ? cache->drain_all() : 0;
}

CpuFrameCacheStats frame_cache_stats(klib::CpuNumber cpu) {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  return cache ? cache->cpu_stats(cpu) : CpuFrameCacheStats{};
}

CpuFrameCacheStats frame_cache_totals() {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  return cache ? cache->total_stats() : CpuFrameCacheStats{};
}

namespace {

// A run from the bitmap, `node`'s frames first (numastat: asked on `local`'s CPU). The frames
// it needs (below a limit, or next to each other) may sit in per-CPU caches: once they are back
// in the bitmap, look again (Linux drains its per-CPU lists when a higher-order allocation
// fails).
klib::Result<std::uint64_t, FrameError> alloc_run(std::uint64_t pages, std::uint64_t alignment,
                                                  std::uint64_t below, std::uint32_t node,
                                                  std::uint32_t local) {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  {
    auto run = frames().alloc_contiguous(pages, alignment, below, node, local);
    if (run || run.error() != FrameError::kOutOfMemory || cache == nullptr) return run;
  }
  if (cache->drain_all() == 0) return klib::make_error(FrameError::kOutOfMemory);
  return frames().alloc_contiguous(pages, alignment, below, node, local);
}

}  // namespace

klib::Result<std::uint64_t, FrameError> alloc_frames(std::uint64_t pages, std::uint64_t alignment,
                                                     std::uint64_t below) {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  if (cache != nullptr && pages == 1 && (alignment == 0 || alignment == FrameAllocator::kFrameSize) &&
      below == FrameAllocator::kNoLimit) {
    return cache->alloc();
  }
  // A preference only: the CPU may change right after the read, and any node's frames will do.
  return alloc_run(pages, alignment, below, cpu_node(platform::current_cpu()),
                   FrameAllocator::kSameNode);
}

klib::Result<std::uint64_t, FrameError> alloc_frames_on_node(std::uint64_t pages,
                                                             std::uint32_t node) {
  return alloc_run(pages, 0, FrameAllocator::kNoLimit, node, cpu_node(platform::current_cpu()));
}

klib::Result<std::uint64_t, FrameError> alloc_cleared_frames(std::uint64_t pages) {
  auto run = alloc_frames(pages);
  if (run) clear_frames(run.value(), pages);
  return run;
}

klib::Result<std::uint64_t, FrameError> alloc_cleared_frames_on_node(std::uint64_t pages,
                                                                     std::uint32_t node) {
  auto run = alloc_frames_on_node(pages, node);
  if (run) clear_frames(run.value(), pages);
  return run;
}

void clear_frames(std::uint64_t phys, std::uint64_t pages) {
  // Above 256 bytes the kernel is compiled to call memset for this (cmake/Kernel.cmake).
  __builtin_memset(phys_to_virt(phys), 0, pages * boot::kPageSize);
}

klib::Result<void, FrameError> free_frames(std::uint64_t phys, std::uint64_t pages) {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  auto freed = cache != nullptr && pages == 1 ? cache->free(phys)
                                              : frames().free_contiguous(phys, pages);
  if (!freed) klog::error("mm: free_frames({:#x}, {}): {}", phys, pages, describe(freed.error()));
  return freed;
}

void set_numa(const acpi::Numa& numa) { place_frames_by_numa(frames(), numa); }

std::uint32_t node_count() { return frames().node_count(); }

NodeFrameStats node_stats(std::uint32_t node) {
  FrameCache* cache = g_cache.load(std::memory_order_acquire);
  return cache ? cache->node_stats(node) : frames().node_stats(node);
}

klib::Result<void, FrameError> pin_boot_memory(std::uint64_t phys, std::uint64_t size) {
  return frames().pin(PhysRange{phys, size});
}

}  // namespace mm
