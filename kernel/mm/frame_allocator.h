// The physical frame allocator: 4 KiB frames of RAM, from the normalized firmware map.
//
// Representation: one bitmap per RAM region (usable or reclaimable range of the normalized map),
// a set bit meaning "free". Chosen over a free-range list because
//   - its size is fixed at init (1 bit per frame: 32 KiB per GiB), so freeing never needs memory
//     and cannot fail for lack of list nodes however fragmented memory gets;
//   - a double free is exact and O(1) (the bit is already set), and a foreign frame is one that
//     lies in no region, in an offline (not yet reclaimed) region or in a pinned range;
//   - aligned and below-limit contiguous runs are a scan of the bits, with no list splitting.
// Per-region bitmaps (rather than one over the whole span) keep sparse maps cheap: RAM above
// 4 GiB next to a hole of terabytes costs nothing for the hole.
//
// Per-CPU caches (frame_cache.h) hold free frames outside the bitmap. A second bitmap per
// region marks them ("cached"), so a frame is in exactly one of three states: free here (free bit
// set), cached on some CPU (cached bit set), or handed out (neither). Frees into a cache are
// checked against both bits without the lock (enter_cache), so a double free is still exact.
//
// NUMA (docs/memory-layout.md, "Nodes"): every region belongs to one node. Without a layout
// there is one node, 0. set_nodes() splits the regions at the nodes' boundaries; from then on an
// allocation names a preferred node and takes from it first, then from the other nodes in that
// node's fallback order (nearest first), and counts Linux's numastat events per node.
//
// Pure: the caller provides the metadata memory, so host tests run it on fake physical
// addresses. Thread safe: every public function takes lock_ (an IRQ-saving leaf spinlock),
// except enter_cache / leave_cache, which change one frame's cached bit with an atomic operation.
// Bitmap words are read and written through std::atomic_ref (relaxed): those two read them
// without the lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "smp/klib/result.h"
#include "kernel/mm/irq_spinlock.h"
#include "kernel/mm/memory_map.h"

namespace mm {

enum class FrameError : std::uint8_t {
  kOutOfMemory,     // no free frame (or run) satisfies the request
  kBadArgument,     // unaligned address, zero count, alignment not a power of two
  kDoubleFree,      // the frame is already free
  kForeignFrame,    // the frame was never the allocator's to give (or is pinned)
  kNoMetadataSpace, // init: no usable range can hold the bitmaps
  kTooManyPinned,   // more than kMaxPinned pinned ranges
  kAlreadyInitialized,
  kBadNodeLayout,   // set_nodes: a node number out of range, a bad fallback row, an empty span
  kTooManyRegions,  // set_nodes: splitting at node boundaries needs more than kMaxRegions
};

const char* describe(FrameError error);

struct FrameStats {
  std::uint64_t total_ram_bytes;   // usable + reclaimable + kept RAM in the firmware map
  std::uint64_t usable_bytes;      // frames the allocator manages (free or handed out)
  std::uint64_t free_bytes;        // currently free: in the bitmap or cached on a CPU
  std::uint64_t cached_bytes;      // of those, held in per-CPU caches (frame_cache.h)
  std::uint64_t reclaimed_bytes;   // added by reclaim()
  std::uint64_t pending_bytes;     // reclaimable memory not yet reclaimed
  std::uint64_t unmanaged_bytes;   // usable memory ignored (more regions than kMaxRegions)
};

// One node's share of the frames, and Linux's numastat events for it (counted in frames, as
// Linux's /sys/devices/system/node/nodeN/numastat does since 5.14).
struct NodeFrameStats {
  std::uint64_t total_bytes;   // frames of this node the allocator manages (free or handed out)
  std::uint64_t free_bytes;    // of those, free: in the bitmap or cached on a CPU
  std::uint64_t cached_bytes;  // of the free ones, held in per-CPU caches
  std::uint64_t numa_hit;      // frames handed out from this node to a request preferring it
  std::uint64_t numa_miss;     // frames handed out from this node to a request preferring another
  std::uint64_t numa_foreign;  // frames a request preferring this node got from another node
  std::uint64_t local_node;    // frames handed out from this node to a CPU of this node
  std::uint64_t other_node;    // frames handed out from this node to a CPU of another node
};

// Where each node's memory is and in which order a node falls back to the others. Node numbers
// are dense (0 .. nodes - 1). Memory no span covers belongs to node 0 (Linux gives a page with no
// node the first online node).
struct NodeSpan {
  std::uint64_t base;  // physical; a boundary inside a frame is rounded up to the next frame
  std::uint64_t end;   // exclusive
  std::uint32_t node;
};
struct NodeLayout {
  const NodeSpan* spans = nullptr;
  std::size_t span_count = 0;
  std::uint32_t nodes = 1;
  // nodes x nodes: row n lists every node once, n first, then the others nearest first.
  const std::uint8_t* fallback = nullptr;
};

class FrameAllocator {
 public:
  static constexpr std::size_t kMaxRegions = 256;
  static constexpr std::size_t kMaxPinned = 32;
  static constexpr std::uint64_t kFrameSize = boot::kPageSize;
  static constexpr std::uint64_t kNoLimit = ~0ull;
  // Node numbers fit a byte in the fallback rows; 64 is Linux's default NODES_SHIFT=6 on x86-64.
  static constexpr std::uint32_t kMaxNodes = 64;
  // `local` argument meaning "the same node as the preferred one".
  static constexpr std::uint32_t kSameNode = ~0u;

  FrameAllocator() = default;
  FrameAllocator(const FrameAllocator&) = delete;
  FrameAllocator& operator=(const FrameAllocator&) = delete;

  // Bytes of bitmaps (free and cached) needed to manage `map` (a page multiple).
  static std::uint64_t metadata_bytes(const NormalizedMap& map);

  // A page-aligned physical place for `bytes` of metadata in usable memory that overlaps none of
  // `reserved`; prefers memory above 1 MiB (low memory is scarce and wanted for trampolines).
  static klib::Result<std::uint64_t, FrameError> place_metadata(const NormalizedMap& map,
                                                                std::uint64_t bytes,
                                                                const PhysRange* reserved,
                                                                std::size_t reserved_count);

  // Builds the allocator once. `reserved` (rounded outward to pages) and the metadata block
  // [metadata_phys, + metadata_bytes(map)) are pinned: never handed out, never reclaimed, and
  // freeing a frame in them is kForeignFrame. `metadata` is where the caller can write the
  // metadata block. Page 0 is not special here: the caller passes it in `reserved`.
  klib::Result<void, FrameError> init(const NormalizedMap& map, const PhysRange* reserved,
                                      std::size_t reserved_count, void* metadata,
                                      std::uint64_t metadata_phys);

  // Bytes of bitmaps set_nodes(layout) needs: the regions as split at the layout's boundaries.
  // 0 when the layout is unusable (set_nodes says why). Takes lock_.
  std::uint64_t node_metadata_bytes(const NodeLayout& layout) const;

  // Splits every region at the node boundaries of `layout` into regions of one node each, with
  // bitmaps in `metadata` (node_metadata_bytes(layout) bytes the caller can write, memory handed
  // out by this allocator or outside it). Free, cached and handed-out frames keep their state;
  // the frames of the bitmaps init() was given become free frames.
  // Before any per-CPU frame cache exists (enter_cache / leave_cache run without the lock), once.
  // Errors (nothing changes): kBadNodeLayout, kTooManyRegions, kAlreadyInitialized (a second
  // call). Takes lock_.
  klib::Result<void, FrameError> set_nodes(const NodeLayout& layout, void* metadata);

  std::uint32_t node_count() const { return node_count_.load(std::memory_order_acquire); }
  // The node of the region holding `phys`, or 0 outside every region. No lock (regions' bounds
  // and nodes do not change after set_nodes).
  std::uint32_t node_of(std::uint64_t phys) const;

  // One frame, from node `preferred` first, then from the others in its fallback order (a
  // node number out of range means 0). `local` is the node of the CPU asking (kSameNode: the
  // preferred one), for the local_node / other_node counts. Fast path: a word scan from a
  // per-region hint.
  klib::Result<std::uint64_t, FrameError> alloc(std::uint32_t preferred = 0,
                                                std::uint32_t local = kSameNode);

  // `pages` contiguous frames starting at a multiple of `alignment` (a power of two >= 4096;
  // 0 means 4096), ending at or below `below`; from `preferred`'s node first, as alloc().
  klib::Result<std::uint64_t, FrameError> alloc_contiguous(std::uint64_t pages,
                                                           std::uint64_t alignment,
                                                           std::uint64_t below = kNoLimit,
                                                           std::uint32_t preferred = 0,
                                                           std::uint32_t local = kSameNode);

  // Returns frames. Checks every frame first (kDoubleFree / kForeignFrame / kBadArgument) and
  // changes nothing if one fails.
  klib::Result<void, FrameError> free(std::uint64_t phys) { return free_contiguous(phys, 1); }
  klib::Result<void, FrameError> free_contiguous(std::uint64_t phys, std::uint64_t pages);

  // Keeps [range) out of reclaim() (for memory the kernel still references, e.g. a boot stack
  // in loader memory). Rounded outward to pages. Must be called before reclaim().
  klib::Result<void, FrameError> pin(PhysRange range);

  // Brings the reclaimable regions online, except pinned frames. Returns the bytes added.
  // Idempotent: a second call adds nothing.
  std::uint64_t reclaim();

  // True when `phys` lies in an online region and is not pinned: RAM the allocator manages,
  // free or handed out.
  bool manages(std::uint64_t phys) const;
  // True when the frame at `phys` is currently free, in the bitmap or in a per-CPU cache (false
  // for unmanaged frames).
  bool is_free(std::uint64_t phys) const;

  // ---- For the per-CPU caches (frame_cache.h) -------------------------------------------------

  // Moves up to `count` free frames of node `node` (no other) into `out`, marked cached: one
  // acquisition of the lock for the batch. Returns how many (0 when the node has no free frame).
  // Counts no numastat event: the cache counts when it hands a frame out. Takes lock_.
  std::size_t take_batch(std::uint64_t* out, std::size_t count, std::uint32_t node = 0);
  // Gives back `count` cached frames (from take_batch or enter_cache) to the bitmap. Takes lock_.
  // A frame that is not cached is a caller bug: reported by the return value (frames skipped).
  std::size_t return_batch(const std::uint64_t* frames, std::size_t count);
  // A handed-out frame is being freed into a cache: checks it as free() would (kBadArgument,
  // kForeignFrame, kDoubleFree) and marks it cached. Returns its node. No lock: the bits are
  // atomic.
  klib::Result<std::uint32_t, FrameError> enter_cache(std::uint64_t phys);
  // A cached frame is handed out from its cache: clears its cached bit. No lock.
  void leave_cache(std::uint64_t phys);

  // Counts `pages` frames of node `got` handed out to a request preferring `preferred` from a
  // CPU of node `local` (Linux's zone_statistics): for frames a cache hands out that did not come
  // through alloc(). Takes lock_.
  void count_allocation(std::uint32_t preferred, std::uint32_t got, std::uint32_t local,
                        std::uint64_t pages);

  FrameStats stats() const;
  // One node's frames and events (all zero for a node number out of range). Takes lock_.
  NodeFrameStats node_stats(std::uint32_t node) const;

 private:
  struct Region {
    std::uint64_t base;      // physical, page aligned
    std::uint64_t frames;
    std::uint64_t free;      // set bits
    std::uint64_t* bitmap;   // ceil(frames / 64) words, bit set = free
    std::uint64_t* cached;   // ceil(frames / 64) words, bit set = held in a per-CPU cache
    std::uint64_t hint;      // word index where single-frame scans start (note_freed)
    // Usable from init, or reclaimable after reclaim(). Atomic: enter_cache reads it without the
    // lock (release in bring_online, after the bitmap is written).
    std::atomic<bool> online;
    bool reclaimable;        // comes online in reclaim()
    std::uint32_t node;      // 0 until set_nodes
    // Frames handed out from here to a CPU of this node that preferred it: numa_hit and
    // local_node at once (node_stats adds them up). Here rather than in Node: the allocation
    // path already writes this cache line (free, hint).
    std::uint64_t local_hits;
  };

  // Linux's numastat events (NUMA_HIT ... NUMA_OTHER), counted per node; kHitLocal is a hit by
  // a CPU of the node itself (NUMA_HIT and NUMA_LOCAL at once, one count on the common path).
  enum Event : std::uint8_t { kHitLocal, kHit, kMiss, kForeign, kLocal, kOther, kEventCount };
  struct Node {
    std::uint64_t managed = 0;   // frames online and not pinned; lock_
    std::size_t hint = 0;        // region index where single-frame takes start; lock_
    // Under lock_: the allocations that count them hold it already, and a plain increment
    // keeps the single-frame path as fast as before nodes (an atomic add costs more).
    std::uint64_t events[kEventCount] = {};
  };

  const Region* find_region(std::uint64_t phys) const;
  Region* find_region(std::uint64_t phys) {
    return const_cast<Region*>(static_cast<const FrameAllocator*>(this)->find_region(phys));
  }
  bool pinned(std::uint64_t phys) const;
  klib::Result<void, FrameError> add_pin(std::uint64_t base, std::uint64_t end);
  std::uint64_t bring_online(Region& region);
  bool run_free(const Region& region, std::uint64_t first, std::uint64_t count,
                std::uint64_t& blocker) const;
  void take(Region& region, std::uint64_t first, std::uint64_t count);
  // Frame `frame` of `region` is free again: the single-frame scans start at it or before, so
  // the frames freed last are the next handed out. lock_ held.
  void note_freed(Region& region, std::uint64_t frame);
  // The frames of `region` held in per-CPU caches: its cached bits, counted. Only the statistics
  // read it, so the caches' fast paths keep no shared count (docs/memory-layout.md, "No shared
  // count on the fast path").
  static std::uint64_t cached_frames(const Region& region);
  // One free frame of node `node` into `phys` (marked cached first when `to_cache`); returns its
  // region, or nullptr if that node has none. lock_ held.
  Region* take_from_node(std::uint32_t node, std::uint64_t& phys, bool to_cache);
  // A node number callers may pass, folded into range (out of range: 0).
  std::uint32_t checked_node(std::uint32_t node) const {
    return node < node_count_.load(std::memory_order_relaxed) ? node : 0;
  }
  // The regions a RAM region [base, base + frames) splits into under `layout`: calls
  // piece(base, frames, node) for each in address order. Returns how many.
  template <typename Piece>
  static std::size_t split(const NodeLayout& layout, std::uint64_t base, std::uint64_t frames,
                           Piece&& piece);
  static bool layout_ok(const NodeLayout& layout);
  std::uint64_t pinned_frames_in(std::uint64_t base, std::uint64_t end) const;
  // count_allocation with lock_ held and the node numbers checked; `region`, where known, is
  // where the frames came from.
  void count_locked(std::uint32_t preferred, std::uint32_t got, std::uint32_t local,
                    std::uint64_t pages, Region* region = nullptr);

  mutable IrqSpinLock lock_;
  bool initialized_ = false;
  bool reclaimed_ = false;
  Region regions_[kMaxRegions] = {};
  std::size_t region_count_ = 0;
  PhysRange pinned_[kMaxPinned] = {};
  // Written under lock_, read by enter_cache without it: an entry is written once, before the
  // count that covers it is published (release / acquire).
  std::atomic<std::size_t> pinned_count_{0};
  std::uint64_t total_ram_ = 0;
  std::uint64_t managed_frames_ = 0;
  std::uint64_t free_frames_ = 0;
  Node nodes_[kMaxNodes];
  // Row n: every node, n first, nearest next. Written by set_nodes before node_count_ (release).
  std::uint8_t fallback_[kMaxNodes][kMaxNodes] = {};
  std::atomic<std::uint32_t> node_count_{1};
  bool nodes_set_ = false;
  // The pinned_ entry of init's metadata block (kMaxPinned: none), which set_nodes releases.
  std::size_t metadata_pin_ = kMaxPinned;
  // Gives the frames of init's metadata block to the allocator (set_nodes, lock_ held).
  void release_first_metadata();
  std::uint64_t reclaimed_frames_ = 0;
  std::uint64_t pending_bytes_ = 0;
  std::uint64_t unmanaged_bytes_ = 0;
};

}  // namespace mm
