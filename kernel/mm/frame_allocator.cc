#include "kernel/mm/frame_allocator.h"

#include "kernel/mm/frame_bits.h"

namespace mm {
namespace {

using klib::make_error;
using namespace frame_bits;

constexpr std::uint64_t kFrame = FrameAllocator::kFrameSize;
constexpr std::uint64_t kLowMemoryEnd = 0x100000;  // 1 MiB

constexpr std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_ram_region(MemoryClass cls) {
  return cls == MemoryClass::kUsable || cls == MemoryClass::kReclaimable;
}

}  // namespace

const char* describe(FrameError error) {
  switch (error) {
    case FrameError::kOutOfMemory: return "out of memory";
    case FrameError::kBadArgument: return "bad argument";
    case FrameError::kDoubleFree: return "double free";
    case FrameError::kForeignFrame: return "foreign frame";
    case FrameError::kNoMetadataSpace: return "no room for allocator metadata";
    case FrameError::kTooManyPinned: return "too many pinned ranges";
    case FrameError::kAlreadyInitialized: return "already initialized";
    case FrameError::kBadNodeLayout: return "bad NUMA node layout";
    case FrameError::kTooManyRegions: return "too many regions after splitting at node boundaries";
  }
  return "?";
}

std::uint64_t FrameAllocator::metadata_bytes(const NormalizedMap& map) {
  std::uint64_t bytes = 0;
  std::size_t regions = 0;
  for (std::size_t i = 0; i < map.count && regions < kMaxRegions; ++i) {
    if (!is_ram_region(map.ranges[i].cls)) continue;
    bytes += 2 * words_for(map.ranges[i].size / kFrame) * sizeof(std::uint64_t);  // free, cached
    ++regions;
  }
  return align_up(bytes, kFrame);
}

klib::Result<std::uint64_t, FrameError> FrameAllocator::place_metadata(
    const NormalizedMap& map, std::uint64_t bytes, const PhysRange* reserved,
    std::size_t reserved_count) {
  if (bytes == 0) return make_error(FrameError::kBadArgument);
  for (const std::uint64_t floor : {kLowMemoryEnd, std::uint64_t{0}}) {
    for (std::size_t i = 0; i < map.count; ++i) {
      const MapRange& r = map.ranges[i];
      if (r.cls != MemoryClass::kUsable) continue;
      std::uint64_t candidate = r.base < floor ? floor : r.base;
      while (candidate < r.end() && r.end() - candidate >= bytes) {
        bool clash = false;
        for (std::size_t k = 0; k < reserved_count; ++k) {
          const PhysRange& x = reserved[k];
          if (x.size == 0 || x.base >= candidate + bytes || x.end() <= candidate) continue;
          candidate = align_up(x.end(), kFrame);  // retry just past the reserved range
          clash = true;
          break;
        }
        if (!clash) return candidate;
      }
    }
  }
  return make_error(FrameError::kNoMetadataSpace);
}

klib::Result<void, FrameError> FrameAllocator::add_pin(std::uint64_t base, std::uint64_t end) {
  const std::size_t count = pinned_count_.load(std::memory_order_relaxed);  // we hold lock_
  if (count == kMaxPinned) return make_error(FrameError::kTooManyPinned);
  base &= ~(kFrame - 1);
  end = align_up(end, kFrame);
  pinned_[count] = PhysRange{base, end - base};
  pinned_count_.store(count + 1, std::memory_order_release);  // the entry before the count
  return klib::Ok{};
}

bool FrameAllocator::pinned(std::uint64_t phys) const {
  const std::size_t count = pinned_count_.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < count; ++i) {
    if (phys >= pinned_[i].base && phys < pinned_[i].end()) return true;
  }
  return false;
}

std::uint64_t FrameAllocator::bring_online(Region& region) {
  // Whole words first (boot time matters with gigabytes of RAM), then punch out pinned frames.
  const std::uint64_t full_words = region.frames / 64;
  for (std::uint64_t w = 0; w < full_words; ++w) store_word(region.bitmap, w, ~0ull);
  for (std::uint64_t f = full_words * 64; f < region.frames; ++f) set_bit(region.bitmap, f);
  std::uint64_t added = region.frames;
  const std::uint64_t region_end = region.base + region.frames * kFrame;
  const std::size_t pins = pinned_count_.load(std::memory_order_relaxed);  // we hold lock_
  for (std::size_t i = 0; i < pins; ++i) {
    const std::uint64_t lo = pinned_[i].base < region.base ? region.base : pinned_[i].base;
    const std::uint64_t hi = pinned_[i].end() > region_end ? region_end : pinned_[i].end();
    for (std::uint64_t p = lo; p < hi; p += kFrame) {
      const std::uint64_t f = (p - region.base) / kFrame;
      if (!test_bit(region.bitmap, f)) continue;  // pinned ranges may overlap each other
      clear_bit(region.bitmap, f);
      --added;
    }
  }
  region.free += added;
  region.hint = 0;
  region.online.store(true, std::memory_order_release);  // after the bitmap: enter_cache reads
  managed_frames_ += added;
  free_frames_ += added;
  nodes_[region.node].managed += added;
  return added;
}

klib::Result<void, FrameError> FrameAllocator::init(const NormalizedMap& map,
                                                    const PhysRange* reserved,
                                                    std::size_t reserved_count, void* metadata,
                                                    std::uint64_t metadata_phys) {
  IrqSpinGuard guard(lock_);
  if (initialized_) return make_error(FrameError::kAlreadyInitialized);
  const std::uint64_t meta_bytes = metadata_bytes(map);
  for (std::size_t i = 0; i < reserved_count; ++i) {
    if (reserved[i].size == 0) continue;
    TRY_OK(add_pin(reserved[i].base, reserved[i].end()));
  }
  if (meta_bytes > 0) {
    TRY_OK(add_pin(metadata_phys, metadata_phys + meta_bytes));
    metadata_pin_ = pinned_count_.load(std::memory_order_relaxed) - 1;  // set_nodes frees it
  }

  auto* words = static_cast<std::uint64_t*>(metadata);
  for (std::size_t i = 0; i < map.count; ++i) {
    const MapRange& r = map.ranges[i];
    if (r.cls == MemoryClass::kUsable || r.cls == MemoryClass::kReclaimable ||
        r.cls == MemoryClass::kKeptRam) {
      total_ram_ += r.size;
    }
    if (!is_ram_region(r.cls)) continue;
    if (region_count_ == kMaxRegions) {
      // Ignoring free memory is safe; say so in the statistics instead of failing the boot.
      unmanaged_bytes_ += r.size;
      continue;
    }
    Region& region = regions_[region_count_++];
    region.base = r.base;
    region.frames = r.size / kFrame;
    region.bitmap = words;
    region.reclaimable = r.cls == MemoryClass::kReclaimable;
    region.node = 0;
    region.local_hits = 0;
    region.cached = words + words_for(region.frames);
    for (std::uint64_t w = 0; w < 2 * words_for(region.frames); ++w) words[w] = 0;
    words += 2 * words_for(region.frames);
    if (region.reclaimable) pending_bytes_ += r.size;
    else bring_online(region);
  }
  nodes_[0].hint = region_count_ > 0 ? region_count_ - 1 : 0;
  fallback_[0][0] = 0;
  initialized_ = true;
  return klib::Ok{};
}

const FrameAllocator::Region* FrameAllocator::find_region(std::uint64_t phys) const {
  // Regions are sorted by base (the normalized map is): binary search.
  std::size_t lo = 0, hi = region_count_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const Region& r = regions_[mid];
    if (phys < r.base) hi = mid;
    else if (phys - r.base >= r.frames * kFrame) lo = mid + 1;
    else return &r;
  }
  return nullptr;
}

void FrameAllocator::take(Region& region, std::uint64_t first, std::uint64_t count) {
  for (std::uint64_t f = first; f < first + count; ++f) clear_bit(region.bitmap, f);
  region.free -= count;
  free_frames_ -= count;
}

void FrameAllocator::note_freed(Region& region, std::uint64_t frame) {
  // As Linux's free lists are last in, first out: a frame freed a moment ago is likely still in
  // the CPU's caches, and under an emulator its host memory is already backed. Walking on into
  // memory never used instead made every first-touch fault of a run that reached it pay for
  // the host faulting in that memory (2 MiB at a time, about 2.5 ms each under QEMU here).
  const std::uint64_t word = frame / 64;
  if (word < region.hint) region.hint = word;
  Node& state = nodes_[region.node];
  const auto index = static_cast<std::size_t>(&region - regions_);
  if (index > state.hint) state.hint = index;  // regions are walked downward from the hint
}

FrameAllocator::Region* FrameAllocator::take_from_node(std::uint32_t node, std::uint64_t& phys,
                                                       bool to_cache) {
  Node& state = nodes_[node];
  // Walk regions downward from the node's hint: single frames come from high memory first, so
  // the scarce low memory stays available for below-limit requests.
  for (std::size_t n = 0; n < region_count_; ++n) {
    const std::size_t index = (state.hint + region_count_ - n) % region_count_;
    Region& region = regions_[index];
    if (region.node != node || !region.online.load(std::memory_order_relaxed) ||
        region.free == 0) {
      continue;
    }
    const std::uint64_t words = words_for(region.frames);
    for (std::uint64_t k = 0; k < words; ++k) {
      const std::uint64_t w = (region.hint + k) % words;
      const std::uint64_t bits = load_word(region.bitmap, w);
      if (bits == 0) continue;
      const std::uint64_t frame = w * 64 + static_cast<std::uint64_t>(__builtin_ctzll(bits));
      // Cached before no longer free: a racing double free (enter_cache) sees one bit set.
      if (to_cache) set_bit(region.cached, frame);
      take(region, frame, 1);
      region.hint = w;
      // Written only when it moves: the node's line then stays shared between CPUs.
      if (state.hint != index) state.hint = index;
      phys = region.base + frame * kFrame;
      return &region;
    }
  }
  return nullptr;
}

klib::Result<std::uint64_t, FrameError> FrameAllocator::alloc(std::uint32_t preferred,
                                                              std::uint32_t local) {
  IrqSpinGuard guard(lock_);
  preferred = checked_node(preferred);
  local = local == kSameNode ? preferred : checked_node(local);
  const std::uint32_t nodes = node_count_.load(std::memory_order_relaxed);
  for (std::uint32_t k = 0; k < nodes; ++k) {
    const std::uint32_t node = fallback_[preferred][k];
    std::uint64_t phys = 0;
    Region* region = take_from_node(node, phys, false);
    if (region == nullptr) continue;
    count_locked(preferred, node, local, 1, region);
    return phys;
  }
  return make_error(FrameError::kOutOfMemory);
}

std::size_t FrameAllocator::take_batch(std::uint64_t* out, std::size_t count,
                                       std::uint32_t node) {
  IrqSpinGuard guard(lock_);
  node = checked_node(node);
  std::size_t taken = 0;
  while (taken < count && take_from_node(node, out[taken], true) != nullptr) ++taken;
  return taken;
}

std::size_t FrameAllocator::return_batch(const std::uint64_t* frames, std::size_t count) {
  IrqSpinGuard guard(lock_);
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Region* region = find_region(frames[i]);
    const std::uint64_t f = region ? (frames[i] - region->base) / kFrame : 0;
    if (!region || !test_bit(region->cached, f)) {
      ++skipped;
      continue;
    }
    // Free before no longer cached: a racing double free sees one of the two bits set.
    set_bit(region->bitmap, f);
    clear_bit(region->cached, f);
    note_freed(*region, f);
    ++region->free;
    ++free_frames_;
  }
  return skipped;
}

klib::Result<std::uint32_t, FrameError> FrameAllocator::enter_cache(std::uint64_t phys) {
  if ((phys & (kFrame - 1)) != 0) return make_error(FrameError::kBadArgument);
  // regions_' bases and sizes do not change after init; online and the pins are atomic.
  Region* region = find_region(phys);
  if (!region || !region->online.load(std::memory_order_acquire) || pinned(phys)) {
    return make_error(FrameError::kForeignFrame);
  }
  const std::uint64_t f = (phys - region->base) / kFrame;
  if (test_bit(region->bitmap, f)) return make_error(FrameError::kDoubleFree);
  if (set_bit(region->cached, f)) return make_error(FrameError::kDoubleFree);
  return region->node;
}

void FrameAllocator::leave_cache(std::uint64_t phys) {
  Region* region = find_region(phys);
  // Only frames a cache holds get here (the cache's own invariant): find_region cannot fail.
  clear_bit(region->cached, (phys - region->base) / kFrame);
}

std::uint64_t FrameAllocator::cached_frames(const Region& region) {
  return count_bits(region.cached, region.frames);
}

std::uint32_t FrameAllocator::node_of(std::uint64_t phys) const {
  const Region* region = find_region(phys);
  return region ? region->node : 0;
}

bool FrameAllocator::run_free(const Region& region, std::uint64_t first, std::uint64_t count,
                              std::uint64_t& blocker) const {
  for (std::uint64_t f = first; f < first + count; ++f) {
    if (!test_bit(region.bitmap, f)) {
      blocker = f;
      return false;
    }
  }
  return true;
}

klib::Result<std::uint64_t, FrameError> FrameAllocator::alloc_contiguous(std::uint64_t pages,
                                                                         std::uint64_t alignment,
                                                                         std::uint64_t below,
                                                                         std::uint32_t preferred,
                                                                         std::uint32_t local) {
  if (alignment == 0) alignment = kFrame;
  if (pages == 0 || alignment < kFrame || (alignment & (alignment - 1)) != 0 ||
      pages > kMaxPhysicalAddress / kFrame) {
    return make_error(FrameError::kBadArgument);
  }
  const std::uint64_t bytes = pages * kFrame;
  IrqSpinGuard guard(lock_);
  preferred = checked_node(preferred);
  local = local == kSameNode ? preferred : checked_node(local);
  // The preferred node's regions, then the next node's in its fallback order. Within a node,
  // highest region first, with or without a limit: heap slabs and stacks stay out of the scarce
  // memory below 1 MiB / 4 GiB, and a "below 4 GiB" request does not take a page below 1 MiB
  // that a "below 1 MiB" request will need. Regions above the limit fail the check at once.
  const std::uint32_t nodes = node_count_.load(std::memory_order_relaxed);
  for (std::size_t n = 0; n < nodes * region_count_; ++n) {
    const std::uint32_t node = fallback_[preferred][n / region_count_];
    Region& region = regions_[region_count_ - 1 - n % region_count_];
    if (region.node != node || !region.online.load(std::memory_order_relaxed) ||
        region.free < pages) {
      continue;
    }
    const std::uint64_t region_end = region.base + region.frames * kFrame;
    std::uint64_t start = align_up(region.base, alignment);
    while (start >= region.base && start < region_end && region_end - start >= bytes) {
      if (below != kNoLimit && (start > below || below - start < bytes)) break;
      const std::uint64_t first = (start - region.base) / kFrame;
      if (load_word(region.bitmap, first / 64) == 0) {
        // 64 busy frames at once: skip the whole word instead of probing each aligned start.
        start = align_up(region.base + (first / 64 + 1) * 64 * kFrame, alignment);
        continue;
      }
      std::uint64_t blocker = 0;
      if (run_free(region, first, pages, blocker)) {
        take(region, first, pages);
        count_locked(preferred, node, local, pages, &region);
        return start;
      }
      // Skip to the first aligned start past the busy frame.
      start = align_up(region.base + (blocker + 1) * kFrame, alignment);
    }
  }
  return make_error(FrameError::kOutOfMemory);
}

klib::Result<void, FrameError> FrameAllocator::free_contiguous(std::uint64_t phys,
                                                               std::uint64_t pages) {
  if ((phys & (kFrame - 1)) != 0 || pages == 0 || pages > kMaxPhysicalAddress / kFrame) {
    return make_error(FrameError::kBadArgument);
  }
  IrqSpinGuard guard(lock_);
  Region* region = find_region(phys);
  if (!region || !region->online.load(std::memory_order_relaxed)) {
    return make_error(FrameError::kForeignFrame);
  }
  const std::uint64_t first = (phys - region->base) / kFrame;
  if (pages > region->frames - first) return make_error(FrameError::kForeignFrame);
  // Check everything before changing anything, so a bad free leaves the allocator intact.
  for (std::uint64_t f = first; f < first + pages; ++f) {
    if (pinned(region->base + f * kFrame)) return make_error(FrameError::kForeignFrame);
    if (test_bit(region->bitmap, f) || test_bit(region->cached, f)) {
      return make_error(FrameError::kDoubleFree);
    }
  }
  for (std::uint64_t f = first; f < first + pages; ++f) set_bit(region->bitmap, f);
  note_freed(*region, first);
  region->free += pages;
  free_frames_ += pages;
  return klib::Ok{};
}

klib::Result<void, FrameError> FrameAllocator::pin(PhysRange range) {
  if (range.size == 0 || range.base > kMaxPhysicalAddress ||
      range.size > kMaxPhysicalAddress - range.base) {
    return make_error(FrameError::kBadArgument);
  }
  IrqSpinGuard guard(lock_);
  if (reclaimed_) return make_error(FrameError::kBadArgument);
  return add_pin(range.base, range.end());
}

std::uint64_t FrameAllocator::reclaim() {
  IrqSpinGuard guard(lock_);
  if (reclaimed_) return 0;
  reclaimed_ = true;
  std::uint64_t added = 0;
  for (std::size_t i = 0; i < region_count_; ++i) {
    Region& region = regions_[i];
    if (region.reclaimable && !region.online.load(std::memory_order_relaxed)) {
      added += bring_online(region);
    }
  }
  reclaimed_frames_ = added;
  pending_bytes_ = 0;
  return added * kFrame;
}

bool FrameAllocator::manages(std::uint64_t phys) const {
  IrqSpinGuard guard(lock_);
  const Region* region = find_region(phys);
  return region && region->online.load(std::memory_order_relaxed) && !pinned(phys);
}

bool FrameAllocator::is_free(std::uint64_t phys) const {
  IrqSpinGuard guard(lock_);
  const Region* region = find_region(phys);
  if (!region || !region->online.load(std::memory_order_relaxed)) return false;
  const std::uint64_t f = (phys - region->base) / kFrame;
  return test_bit(region->bitmap, f) || test_bit(region->cached, f);
}

FrameStats FrameAllocator::stats() const {
  IrqSpinGuard guard(lock_);
  std::uint64_t cached = 0;
  for (std::size_t i = 0; i < region_count_; ++i) {
    if (regions_[i].online.load(std::memory_order_relaxed)) cached += cached_frames(regions_[i]);
  }
  return FrameStats{
      .total_ram_bytes = total_ram_,
      .usable_bytes = managed_frames_ * kFrame,
      .free_bytes = (free_frames_ + cached) * kFrame,
      .cached_bytes = cached * kFrame,
      .reclaimed_bytes = reclaimed_frames_ * kFrame,
      .pending_bytes = pending_bytes_,
      .unmanaged_bytes = unmanaged_bytes_,
  };
}

}  // namespace mm
