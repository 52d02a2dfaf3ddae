// The heap's in-memory layouts, shared by its parts (heap.cc front end, heap_depot.cc,
// heap_slab.cc, heap_large.cc): the slab header, the magazine, and the markers a free object
// carries. Private to kernel/mm's heap.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/heap.h"

namespace mm::heap_detail {

constexpr std::uint64_t kSlabMagic = 0x534c41424d41474full;  // "SLABMAGO"; XORed with the address
// Second word of every free object (in a slab or a magazine): overwritten means a write after
// free.
constexpr std::uint64_t kPoison = 0xdeadbeefdeadbeefull;
// First word of a free object held in a magazine: its own address XORed with this, so a live
// object matches it (and kPoison beside it) only by a 2^-128 accident.
constexpr std::uint64_t kFreeTag = 0x6d6167617a696e65ull;  // "magazine"
constexpr std::uintptr_t kEmpty = 0;
constexpr std::uintptr_t kTombstone = 1;  // large-block keys are page aligned, never 1
constexpr std::size_t kMaxObjects = Heap::kSlabSize / Heap::kMinSmall;
// Rounds of a magazine: 62 makes a magazine exactly 512 bytes, one object of its own class.
constexpr std::uint32_t kMagazineRounds = 62;
// Depot bounds per class: more full magazines than this are flushed to the slabs, more empty
// ones freed, so a burst of frees on one CPU does not keep its memory cached for ever.
constexpr std::uint32_t kDepotFullMax = 4;
constexpr std::uint32_t kDepotEmptyMax = 4;

constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) & ~(a - 1); }

inline std::uint64_t free_tag(const void* object) {
  return reinterpret_cast<std::uintptr_t>(object) ^ kFreeTag;
}

// True when `object` carries the markers of a free object held in a magazine.
inline bool marked_free(const void* object) {
  const auto* word = static_cast<const std::uint64_t*>(object);
  return word[0] == free_tag(object) && word[1] == kPoison;
}

// Marks `object` free for a magazine.
inline void mark_free(void* object) {
  auto* word = static_cast<std::uint64_t*>(object);
  word[0] = free_tag(object);
  word[1] = kPoison;
}

}  // namespace mm::heap_detail

namespace mm {

// At the start of each kSlabSize-aligned slab; objects follow at first_offset. The first five
// fields after `magic` never change while the slab lives, so a free reads them without a lock.
struct Heap::Slab {
  std::uint64_t magic;
  std::uint32_t class_index;  // kMagazineClass for the magazines' own slabs
  std::uint32_t object_size;
  std::uint32_t first_offset;
  std::uint32_t capacity;
  // Under the class lock:
  Slab* next;
  Slab* prev;
  void* free_head;  // first free object; its first word links to the next
  std::uint32_t in_use;
  std::uint32_t on_partial;  // 1 while linked in the class's partial list
  std::uint64_t allocated[heap_detail::kMaxObjects / 64];  // bit per object: set while out of the slab

  // Called at an address not yet known to hold a slab (Heap::small_slab_of): the memory
  // may be part of another block whose owner writes it meanwhile (a large block, or fresh
  // pages being zeroed by FramePageSource). Any value but this slab's magic is refused, so
  // that read is a benign race, and ThreadSanitizer is told not to check it (as Linux marks
  // such reads with data_race()). The fields after `magic` are read only once it matched.
#if defined(__SANITIZE_THREAD__)
  [[gnu::no_sanitize("thread"), gnu::noinline]]
#endif
  bool valid() const {
    return magic == (heap_detail::kSlabMagic ^ reinterpret_cast<std::uintptr_t>(this));
  }
  std::size_t index_of(const void* object) const {
    return (reinterpret_cast<std::uintptr_t>(object) - reinterpret_cast<std::uintptr_t>(this) -
            first_offset) / object_size;
  }
  bool is_out(std::size_t index) const { return (allocated[index / 64] >> (index % 64)) & 1; }
};

// A stack of free objects of one class. Owned by one CPU (loaded or previous) or the depot.
struct Heap::Magazine {
  Magazine* next;  // depot list link
  std::uint32_t count;
  // Rounds it may hold: its class's SlabClass::rounds (a magazine serves one class while it
  // lives), kept here so that a free reads no shared line to know whether it is full.
  std::uint32_t capacity;
  void* rounds[heap_detail::kMagazineRounds];
};

// Inline, as the ones below: they are on every free's fast path.
inline bool Heap::known_region(std::uintptr_t base) const {
  return known_[(base / kSlabSize) % kKnownRegions].load(std::memory_order_relaxed) == base;
}

inline bool Heap::page_source_region(std::uintptr_t base) const {
  if (known_region(base)) return true;
  std::atomic<std::uintptr_t>& known = known_[(base / kSlabSize) % kKnownRegions];
  // Not seen yet: ask the page source (its lock). Its memory stays its own, so the answer is
  // kept.
  if (!pages_.contains(reinterpret_cast<const void*>(base))) return false;
  known.store(base, std::memory_order_relaxed);
  return true;
}

inline Heap::Slab* Heap::checked_small_slab(Slab* slab, const void* p) const {
  if (!slab->valid() || slab->class_index >= kClassCount) return nullptr;
  const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(p) -
                                reinterpret_cast<std::uintptr_t>(slab);
  if (offset < slab->first_offset) return nullptr;  // the header
  // A user class holds kMinSmall << class_index bytes: shift and mask, not a division (which
  // took half of this check's time).
  static_assert(kMinSmall == 16, "the shift below is log2(kMinSmall) + the class");
  const std::uintptr_t into = offset - slab->first_offset;
  const unsigned shift = slab->class_index + 4;
  if ((into & ((std::uintptr_t{1} << shift) - 1)) != 0) return nullptr;  // an interior pointer
  if ((into >> shift) >= slab->capacity) return nullptr;
  return slab;
}

inline Heap::Slab* Heap::small_slab_of(const void* p) const {
  // A kSlabSize-aligned pointer is a header, never an object: it may be a large block whose
  // first bytes happen to look like one.
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  if ((address & (kSlabSize - 1)) == 0) return nullptr;
  const std::uintptr_t base = address & ~(std::uintptr_t{kSlabSize} - 1);
  // Read the candidate header only when it is memory the page source owns.
  if (!page_source_region(base)) return nullptr;
  return checked_small_slab(reinterpret_cast<Slab*>(base), p);
}

inline Heap::Slab* Heap::small_slab_if_known(const void* p) const {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  if ((address & (kSlabSize - 1)) == 0) return nullptr;  // as in small_slab_of
  const std::uintptr_t base = address & ~(std::uintptr_t{kSlabSize} - 1);
  if (!known_region(base)) return nullptr;
  return checked_small_slab(reinterpret_cast<Slab*>(base), p);
}

}  // namespace mm
