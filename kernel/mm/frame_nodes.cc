// The frame allocator's NUMA part (frame_allocator.h, docs/memory-layout.md "Nodes"): splitting
// the regions at node boundaries, each node's counts and Linux's numastat events.
#include <bit>

#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/frame_bits.h"

namespace mm {
namespace {

using klib::make_error;
using namespace frame_bits;

constexpr std::uint64_t kFrame = FrameAllocator::kFrameSize;

// A node boundary as a frame boundary: one inside a frame moves up to the next frame (the
// frame goes with the memory below it, which holds its start). Clamped so the rounding cannot
// wrap.
std::uint64_t frame_boundary(std::uint64_t address) {
  if (address > kMaxPhysicalAddress) address = kMaxPhysicalAddress;
  return (address + kFrame - 1) & ~(kFrame - 1);
}

// Copies `frames` bits starting at bit `first` of `source` (`source_frames` bits long) to bit 0
// of `target`, whose bits past `frames` in its last word stay clear.
void copy_bits(const std::uint64_t* source, std::uint64_t source_frames, std::uint64_t first,
               std::uint64_t* target, std::uint64_t frames) {
  const std::uint64_t source_words = words_for(source_frames);
  const std::uint64_t words = words_for(frames);
  for (std::uint64_t w = 0; w < words; ++w) {
    const std::uint64_t bit = first + w * 64;
    const std::uint64_t low = bit / 64;
    const std::uint64_t shift = bit % 64;
    std::uint64_t v = load_word(source, low) >> shift;
    if (shift != 0 && low + 1 < source_words) v |= load_word(source, low + 1) << (64 - shift);
    const std::uint64_t valid = frames - w * 64;
    if (valid < 64) v &= (1ull << valid) - 1;
    store_word(target, w, v);
  }
}

}  // namespace

bool FrameAllocator::layout_ok(const NodeLayout& layout) {
  if (layout.nodes == 0 || layout.nodes > kMaxNodes || layout.fallback == nullptr) return false;
  if (layout.span_count > 0 && layout.spans == nullptr) return false;
  static_assert(kMaxNodes <= 64, "a row's nodes are checked with one 64-bit mask");
  for (std::uint32_t n = 0; n < layout.nodes; ++n) {
    const std::uint8_t* row = layout.fallback + std::size_t{n} * layout.nodes;
    if (row[0] != n) return false;
    std::uint64_t seen = 0;
    for (std::uint32_t k = 0; k < layout.nodes; ++k) {
      if (row[k] >= layout.nodes || (seen >> row[k]) & 1) return false;
      seen |= 1ull << row[k];
    }
  }
  for (std::size_t i = 0; i < layout.span_count; ++i) {
    const NodeSpan& s = layout.spans[i];
    if (s.node >= layout.nodes || s.base >= s.end) return false;
  }
  return true;
}

template <typename Piece>
std::size_t FrameAllocator::split(const NodeLayout& layout, std::uint64_t base,
                                  std::uint64_t frames, Piece&& piece) {
  const std::uint64_t end = base + frames * kFrame;
  std::size_t count = 0;
  // The piece being grown: neighbouring pieces of one node are one region.
  std::uint64_t open_base = base;
  std::uint32_t open_node = 0;
  bool open = false;
  for (std::uint64_t at = base; at < end;) {
    // The first span holding `at` names its node (none: node 0); the piece ends where that span
    // ends or where another span begins, whichever is first.
    std::uint32_t node = 0;
    bool covered = false;
    std::uint64_t piece_end = end;
    for (std::size_t i = 0; i < layout.span_count; ++i) {
      const std::uint64_t b = frame_boundary(layout.spans[i].base);
      const std::uint64_t e = frame_boundary(layout.spans[i].end);
      if (!covered && b <= at && at < e) {
        node = layout.spans[i].node;
        covered = true;
        if (e < piece_end) piece_end = e;
      } else if (b > at && b < piece_end) {
        piece_end = b;
      }
    }
    if (open && node != open_node) {
      piece(open_base, (at - open_base) / kFrame, open_node);
      ++count;
      open = false;
    }
    if (!open) {
      open_base = at;
      open_node = node;
      open = true;
    }
    at = piece_end;
  }
  if (open) {
    piece(open_base, (end - open_base) / kFrame, open_node);
    ++count;
  }
  return count;
}

std::uint64_t FrameAllocator::pinned_frames_in(std::uint64_t base, std::uint64_t end) const {
  // Pinned ranges may overlap: a frame counts once, for the first range holding it.
  const std::size_t pins = pinned_count_.load(std::memory_order_relaxed);  // lock_ held
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < pins; ++i) {
    const std::uint64_t lo = pinned_[i].base < base ? base : pinned_[i].base;
    const std::uint64_t hi = pinned_[i].end() > end ? end : pinned_[i].end();
    for (std::uint64_t p = lo; p < hi; p += kFrame) {
      bool earlier = false;
      for (std::size_t j = 0; j < i && !earlier; ++j) {
        earlier = p >= pinned_[j].base && p < pinned_[j].end();
      }
      if (!earlier) ++n;
    }
  }
  return n;
}

std::uint64_t FrameAllocator::node_metadata_bytes(const NodeLayout& layout) const {
  if (!layout_ok(layout)) return 0;
  IrqSpinGuard guard(lock_);
  std::uint64_t bytes = 0;
  std::size_t pieces = 0;
  for (std::size_t i = 0; i < region_count_; ++i) {
    pieces += split(layout, regions_[i].base, regions_[i].frames,
                    [&](std::uint64_t, std::uint64_t frames, std::uint32_t) {
                      bytes += 2 * words_for(frames) * sizeof(std::uint64_t);
                    });
  }
  if (pieces > kMaxRegions) return 0;
  return (bytes + kFrame - 1) & ~(kFrame - 1);
}

klib::Result<void, FrameError> FrameAllocator::set_nodes(const NodeLayout& layout,
                                                         void* metadata) {
  IrqSpinGuard guard(lock_);
  if (nodes_set_) return make_error(FrameError::kAlreadyInitialized);
  if (!layout_ok(layout)) return make_error(FrameError::kBadNodeLayout);
  const auto no_piece = [](std::uint64_t, std::uint64_t, std::uint32_t) {};
  std::size_t total = 0;
  for (std::size_t i = 0; i < region_count_; ++i) {
    total += split(layout, regions_[i].base, regions_[i].frames, no_piece);
  }
  if (total > kMaxRegions) return make_error(FrameError::kTooManyRegions);

  for (Node& node : nodes_) {
    node.managed = 0;
    node.hint = 0;
    for (auto& event : node.events) event = 0;
  }
  // In place, last region first: region i's pieces go to [pos - pieces, pos), and pos - pieces
  // >= i (every region has at least one piece), so they overwrite only regions already split
  // and region i itself, whose fields are copied out first. The old bitmaps stay where they are.
  auto* words = static_cast<std::uint64_t*>(metadata);
  std::size_t pos = total;
  for (std::size_t i = region_count_; i-- > 0;) {
    const Region& old = regions_[i];
    const std::uint64_t old_base = old.base;
    const std::uint64_t old_frames = old.frames;
    const std::uint64_t* old_bitmap = old.bitmap;
    const std::uint64_t* old_cached = old.cached;
    const bool online = old.online.load(std::memory_order_relaxed);
    const bool reclaimable = old.reclaimable;
    const std::size_t pieces = split(layout, old_base, old_frames, no_piece);
    std::size_t slot = pos - pieces;
    split(layout, old_base, old_frames,
          [&](std::uint64_t base, std::uint64_t frames, std::uint32_t node) {
            Region& r = regions_[slot++];
            r.base = base;
            r.frames = frames;
            r.node = node;
            r.local_hits = 0;
            r.reclaimable = reclaimable;
            r.bitmap = words;
            r.cached = words + words_for(frames);
            words += 2 * words_for(frames);
            const std::uint64_t first = (base - old_base) / kFrame;
            copy_bits(old_bitmap, old_frames, first, r.bitmap, frames);
            copy_bits(old_cached, old_frames, first, r.cached, frames);
            r.free = count_bits(r.bitmap, frames);
            r.hint = 0;
            r.online.store(online, std::memory_order_relaxed);  // no lock-free reader yet
            if (!online) return;
            nodes_[node].managed += frames - pinned_frames_in(base, base + frames * kFrame);
          });
    pos -= pieces;
  }
  region_count_ = total;
  for (std::uint32_t n = 0; n < layout.nodes; ++n) {
    for (std::uint32_t k = 0; k < layout.nodes; ++k) {
      fallback_[n][k] = layout.fallback[std::size_t{n} * layout.nodes + k];
    }
  }
  // Each node's walk starts at its highest region (high memory first, as before the split).
  for (std::size_t i = 0; i < region_count_; ++i) nodes_[regions_[i].node].hint = i;
  release_first_metadata();
  nodes_set_ = true;
  node_count_.store(layout.nodes, std::memory_order_release);  // the rows before the count
  return klib::Ok{};
}

void FrameAllocator::release_first_metadata() {
  if (metadata_pin_ >= kMaxPinned) return;
  const PhysRange block = pinned_[metadata_pin_];
  // An empty range holds no address. No reader without the lock exists yet (no frame cache).
  pinned_[metadata_pin_] = PhysRange{0, 0};
  metadata_pin_ = kMaxPinned;
  for (std::uint64_t p = block.base; p < block.end(); p += kFrame) {
    Region* region = find_region(p);
    // Outside managed RAM (the caller's metadata need not be), or also in a reserved range.
    if (region == nullptr || !region->online.load(std::memory_order_relaxed) || pinned(p)) {
      continue;
    }
    const std::uint64_t f = (p - region->base) / kFrame;
    if (test_bit(region->bitmap, f) || test_bit(region->cached, f)) continue;  // never: pinned
    set_bit(region->bitmap, f);
    ++region->free;
    ++free_frames_;
    ++managed_frames_;
    ++nodes_[region->node].managed;
  }
}

void FrameAllocator::count_allocation(std::uint32_t preferred, std::uint32_t got,
                                      std::uint32_t local, std::uint64_t pages) {
  IrqSpinGuard guard(lock_);
  count_locked(checked_node(preferred), checked_node(got), checked_node(local), pages);
}

void FrameAllocator::count_locked(std::uint32_t preferred, std::uint32_t got,
                                  std::uint32_t local, std::uint64_t pages, Region* region) {
  // Linux's zone_statistics: hit or miss on the node that gave, foreign on the one preferred;
  // local or other by the asking CPU's node.
  if (got == preferred && got == local) {
    // The common case: one count, in the region's line when the region is known.
    if (region != nullptr) region->local_hits += pages;
    else nodes_[got].events[kHitLocal] += pages;
    return;
  }
  if (got == preferred) {
    nodes_[got].events[kHit] += pages;
  } else {
    nodes_[got].events[kMiss] += pages;
    nodes_[preferred].events[kForeign] += pages;
  }
  nodes_[got].events[got == local ? kLocal : kOther] += pages;
}

NodeFrameStats FrameAllocator::node_stats(std::uint32_t node) const {
  IrqSpinGuard guard(lock_);
  if (node >= node_count_.load(std::memory_order_relaxed)) return {};
  const Node& n = nodes_[node];
  // The free frames are the regions' (the allocation path keeps no per-node count of its own).
  std::uint64_t free = 0, local_hits = 0, cached = 0;
  for (std::size_t i = 0; i < region_count_; ++i) {
    if (regions_[i].node != node) continue;
    local_hits += regions_[i].local_hits;
    if (regions_[i].online.load(std::memory_order_relaxed)) {
      free += regions_[i].free;
      cached += cached_frames(regions_[i]);
    }
  }
  const auto event = [&](Event e) { return n.events[e]; };
  return NodeFrameStats{
      .total_bytes = n.managed * kFrame,
      .free_bytes = (free + cached) * kFrame,
      .cached_bytes = cached * kFrame,
      .numa_hit = local_hits + event(kHitLocal) + event(kHit),
      .numa_miss = event(kMiss),
      .numa_foreign = event(kForeign),
      .local_node = local_hits + event(kHitLocal) + event(kLocal),
      .other_node = event(kOther),
  };
}

}  // namespace mm
