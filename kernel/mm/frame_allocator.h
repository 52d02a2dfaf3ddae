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

class FrameAllocator {
 public:
  static constexpr std::size_t kMaxRegions = 256;
  static constexpr std::size_t kMaxPinned = 32;
  static constexpr std::uint64_t kFrameSize = boot::kPageSize;
  static constexpr std::uint64_t kNoLimit = ~0ull;

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

  // One frame. Fast path: a word scan from a per-region hint.
  klib::Result<std::uint64_t, FrameError> alloc();

  // `pages` contiguous frames starting at a multiple of `alignment` (a power of two >= 4096;
  // 0 means 4096), ending at or below `below`.
  klib::Result<std::uint64_t, FrameError> alloc_contiguous(std::uint64_t pages,
                                                           std::uint64_t alignment,
                                                           std::uint64_t below = kNoLimit);

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

  // Moves up to `count` free frames into `out`, marked cached: one acquisition of the lock for
  // the batch. Returns how many (0 when no frame is free). Takes lock_.
  std::size_t take_batch(std::uint64_t* out, std::size_t count);
  // Gives back `count` cached frames (from take_batch or enter_cache) to the bitmap. Takes lock_.
  // A frame that is not cached is a caller bug: reported by the return value (frames skipped).
  std::size_t return_batch(const std::uint64_t* frames, std::size_t count);
  // A handed-out frame is being freed into a cache: checks it as free() would (kBadArgument,
  // kForeignFrame, kDoubleFree) and marks it cached. No lock: the bits are atomic.
  klib::Result<void, FrameError> enter_cache(std::uint64_t phys);
  // A cached frame is handed out from its cache: clears its cached bit. No lock.
  void leave_cache(std::uint64_t phys);

  FrameStats stats() const;

 private:
  struct Region {
    std::uint64_t base;      // physical, page aligned
    std::uint64_t frames;
    std::uint64_t free;      // set bits
    std::uint64_t* bitmap;   // ceil(frames / 64) words, bit set = free
    std::uint64_t* cached;   // ceil(frames / 64) words, bit set = held in a per-CPU cache
    std::uint64_t hint;      // word index where the last single-frame scan stopped
    // Usable from init, or reclaimable after reclaim(). Atomic: enter_cache reads it without the
    // lock (release in bring_online, after the bitmap is written).
    std::atomic<bool> online;
    bool reclaimable;        // comes online in reclaim()
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
  // One free frame into `phys` (marked cached first when `to_cache`); false if none. lock_ held.
  bool take_one(std::uint64_t& phys, bool to_cache);

  mutable IrqSpinLock lock_;
  bool initialized_ = false;
  bool reclaimed_ = false;
  Region regions_[kMaxRegions] = {};
  std::size_t region_count_ = 0;
  PhysRange pinned_[kMaxPinned] = {};
  // Written under lock_, read by enter_cache without it: an entry is written once, before the
  // count that covers it is published (release / acquire).
  std::atomic<std::size_t> pinned_count_{0};
  std::size_t region_hint_ = 0;
  std::uint64_t total_ram_ = 0;
  std::uint64_t managed_frames_ = 0;
  std::uint64_t free_frames_ = 0;
  std::atomic<std::uint64_t> cached_frames_{0};  // relaxed: a statistic
  std::uint64_t reclaimed_frames_ = 0;
  std::uint64_t pending_bytes_ = 0;
  std::uint64_t unmanaged_bytes_ = 0;
};

}  // namespace mm
