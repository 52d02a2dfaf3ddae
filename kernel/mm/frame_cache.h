// Per-CPU caches of free frames in front of the frame allocator (docs/memory-layout.md, "Frames").
//
// Each CPU keeps a small stack (a magazine, Bonwick and Adams 2001; Linux's per-CPU page lists)
// of free single frames. alloc() and free() of one frame touch only the calling CPU's cache;
// the shared bitmap lock is taken once per batch: a refill of kBatch frames when the cache is
// empty, a drain of kBatch frames when it is full. Multi-frame runs bypass the caches.
//
// No frame is stranded: an allocation that finds its cache empty and the bitmap empty takes a
// frame from another CPU's cache and gives the rest of that cache back to the bitmap (a drain
// on low memory). If one pass over the caches finds nothing, it looks again with every cache
// locked, so that no frame can move between caches while it looks: it fails only when no frame
// was free anywhere. A CPU whose cache was not used for a while gives it back when it goes idle
// (drain_if_idle, from the idle loop).
//
// NUMA (docs/memory-layout.md, "Nodes"): each cache belongs to its CPU's node and holds frames
// of that node only. It refills from its node alone; when that node has no free frame, the
// allocation takes one frame from the nearest node that has one (FrameAllocator::alloc's
// fallback order), past the cache. A frame of another node freed on this CPU goes straight back
// to the bitmap, so a drain returns each frame to its own node and the cache never hands out a
// remote frame as a local one.
//
// Locks: each cache has its own IRQ-saving spinlock. Only its CPU takes it, except a CPU that
// drains it (low memory, drain_cpu): so the fast path never waits in practice and its cache line
// stays on its CPU. Order: a cache lock, then the frame allocator's lock. Several cache locks
// are held together only by the last look of an allocation short of memory, one CPU at a time
// (under last_look_lock_), in ascending CPU order.
//
// Pure (kernel_mm): the caller provides the per-CPU slots, so host threads bound to CPU numbers
// (platform::host::bind_cpu) stand in for CPUs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/irq_spinlock.h"
#include "smp/klib/ids.h"
#include "smp/klib/result.h"

namespace mm {

// What one CPU's cache did. Counters only grow; `cached` is the frames it holds now.
struct CpuFrameCacheStats {
  std::uint64_t cached;        // frames held now
  std::uint64_t refills;       // batches taken from the bitmap
  std::uint64_t drains;        // batches given back because the cache was full
  std::uint64_t idle_drains;   // whole-cache drains because the CPU was idle (drain_if_idle)
  std::uint64_t taken;         // whole-cache drains by another CPU short of memory, or drain_cpu
  std::uint64_t bad_frames;    // frames the bitmap refused back (not marked cached): always 0
  std::uint64_t local_allocs;  // frames handed out from the cache (all of its own node)
  std::uint64_t remote_frees;  // frames of another node freed here, sent back to the bitmap
};

// One CPU's cache. Cache-line aligned: each CPU writes only its own line on the fast path.
struct alignas(64) CpuFrameCache {
  // Frames per cache and per batch. A refill or drain moves kBatch frames (one lock round trip
  // for 16 frames, Linux's pcp batch is of the same order); the cache holds up to kCapacity
  // so a CPU that alternates allocation and free around the watermark does not refill and drain
  // every time. 64 frames (256 KiB) per CPU keep the memory held in caches small.
  static constexpr std::size_t kCapacity = 64;
  static constexpr std::size_t kBatch = 16;

  IrqSpinLock lock;
  std::uint32_t count = 0;
  // The CPU's node (FrameAllocator's dense numbering). Set before the FrameCache is built over
  // the slots, never changed after.
  std::uint32_t node = 0;
  // Idle detection without a clock read per operation: `uses` counts alloc and free calls;
  // drain_if_idle notes when it first saw the count stand still (idle_since, its `now`).
  std::uint64_t uses = 0;
  std::uint64_t uses_seen = 0;
  std::uint64_t idle_since = 0;
  CpuFrameCacheStats counters = {};
  std::uint64_t frames[kCapacity] = {};
  // Room for the guard of the CPU that locks every cache at once (the last look of an
  // allocation short of memory, FrameCache::take_with_every_cache_locked; one CPU at a time).
  alignas(IrqSpinGuard) unsigned char stealer_guard[sizeof(IrqSpinGuard)];
};

class FrameCache {
 public:
  // `slots` has one entry per CPU number below `cpus`; CPUs at or above it use the bitmap
  // directly. `frames` and `slots` outlive the cache.
  FrameCache(FrameAllocator& frames, CpuFrameCache* slots, std::uint32_t cpus)
      : frames_(frames), slots_(slots), cpus_(cpus) {}
  FrameCache(const FrameCache&) = delete;
  FrameCache& operator=(const FrameCache&) = delete;

  // One frame: from this CPU's cache, refilled from its node's free frames when empty, else from
  // the nearest node with a free frame, else taken from another CPU's cache. kOutOfMemory only
  // when the bitmap and every cache were found empty. Counts the numastat events (node_stats).
  // Any context (interrupts are turned off inside). Takes this CPU's cache lock, then maybe the
  // frame lock; on low memory each other cache lock in turn.
  klib::Result<std::uint64_t, FrameError> alloc();

  // Returns one frame (from alloc() or FrameAllocator::alloc*) to this CPU's cache, draining a
  // batch to the bitmap when the cache is full; a frame of another node goes to the bitmap. Checks the frame first as FrameAllocator::free
  // does (kBadArgument, kForeignFrame, kDoubleFree) and changes nothing if it fails.
  klib::Result<void, FrameError> free(std::uint64_t phys);

  // Gives every frame cached on `cpu` back to the bitmap. Returns how many. Any CPU.
  std::size_t drain_cpu(klib::CpuNumber cpu);
  // drain_cpu for every CPU. Returns how many frames.
  std::size_t drain_all();

  // From the idle loop: when this CPU's cache holds frames and was not used since a call at
  // least `idle_cycles` before `now` (platform::cycles()), gives them back. Returns how many.
  // The first call after a use only notes the time: the cache goes after 1 to 2 idle periods.
  std::size_t drain_if_idle(std::uint64_t now, std::uint64_t idle_cycles);

  // One CPU's counters (zero for a CPU without a cache), and their sum over all CPUs.
  CpuFrameCacheStats cpu_stats(klib::CpuNumber cpu) const;
  CpuFrameCacheStats total_stats() const;
  // One node's frames and numastat events: the bitmap's (FrameAllocator::node_stats) plus the
  // frames the caches of the node's CPUs handed out (hits, local). Takes each cache lock in turn.
  NodeFrameStats node_stats(std::uint32_t node) const;
  std::uint32_t cpus() const { return cpus_; }

 private:
  // The calling CPU's cache, or nullptr. Interrupts must be off (the CPU cannot change).
  CpuFrameCache* own_cache() const;
  // Takes one frame from another CPU's cache and gives the rest of it to the bitmap.
  bool take_from_others(std::uint32_t self, std::uint64_t& phys);
  // The same, and the bitmap, with every cache locked at once: exact. Interrupts off. `node`:
  // the asking CPU's, for the bitmap's fallback order.
  bool take_with_every_cache_locked(std::uint32_t node, std::uint64_t& phys);
  // Returns the cache's frames [0, n) to the bitmap and closes the gap. Cache lock held.
  void give_back(CpuFrameCache& cache, std::size_t n);

  FrameAllocator& frames_;
  CpuFrameCache* slots_;
  std::uint32_t cpus_;
  // Taken before every cache lock by take_with_every_cache_locked: one CPU at a time uses the
  // slots' stealer_guard storage.
  IrqSpinLock last_look_lock_;
};

}  // namespace mm
