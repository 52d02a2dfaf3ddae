// The heap's front end: the per-CPU magazine fast paths, the checks on free, stats and drain.
// The depot is heap_depot.cc, the slabs heap_slab.cc, large blocks heap_large.cc.
#include "kernel/mm/heap.h"

#include "kernel/mm/heap_layout.h"
#include "smp/irq_guard.h"

namespace mm {

using namespace heap_detail;

namespace {

std::size_t class_index_for(std::size_t bytes) {
  std::size_t index = 0;
  for (std::size_t size = Heap::kMinSmall; size < bytes; size <<= 1) ++index;
  return index;
}

// Largest request the large path tries: beyond any direct map, and far from overflowing.
constexpr std::size_t kMaxLarge = std::size_t{1} << 46;

template <typename T>
void swap_pointers(T*& a, T*& b) {
  T* t = a;
  a = b;
  b = t;
}

}  // namespace

const char* describe(HeapFault fault) {
  switch (fault) {
    case HeapFault::kDoubleFree: return "double free";
    case HeapFault::kUnknownPointer: return "free of a pointer the heap does not own";
    case HeapFault::kSizeMismatch: return "sized/aligned delete does not match the allocation";
    case HeapFault::kUseAfterFree: return "freed object written after free";
  }
  return "?";
}

Heap::Heap(PageSource& pages, HeapFaultHook hook) : pages_(pages), hook_(hook) {
  static_assert(sizeof(Magazine) == 512, "a magazine is one object of the 512-byte size");
  for (std::size_t c = 0; c < kClassCount; ++c) {
    // One magazine holds at most a slab's worth, so the big classes do not hoard many slabs.
    const std::size_t size = kMinSmall << c;
    const std::size_t capacity = (kSlabSize - align_up(sizeof(Slab), size)) / size;
    classes_[c].rounds = static_cast<std::uint32_t>(capacity < kMagazineRounds ? capacity
                                                                               : kMagazineRounds);
  }
}

void Heap::report(HeapFault fault, const void* p) {
  if (hook_) hook_(fault, p);
}

void Heap::note_late_fault(HeapFault fault, const void* p) {
  faults_.fetch_add(1, std::memory_order_relaxed);
  std::uintptr_t none = 0;
  // Relaxed: the value is the whole message; nothing else is published with it.
  late_fault_.compare_exchange_strong(none, reinterpret_cast<std::uintptr_t>(p) |
                                                static_cast<std::uintptr_t>(fault),
                                      std::memory_order_relaxed);
}

void Heap::report_late_fault() {
  if (late_fault_.load(std::memory_order_relaxed) == 0) return;
  const std::uintptr_t v = late_fault_.exchange(0, std::memory_order_relaxed);
  if (v != 0) report(static_cast<HeapFault>(v & 15), reinterpret_cast<const void*>(v & ~std::uintptr_t{15}));
}

Heap::CpuCache& Heap::this_cpu_cache() {
  // Interrupts are off (the caller's guard), so the CPU cannot change until the caller is done.
  const std::uint32_t slot = platform::to_index(platform::current_cpu()) % kCpuSlots;
  std::uint32_t used = cpu_slots_used_.load(std::memory_order_relaxed);
  // Release pairs with drain()'s acquire: a drain that sees the slot counted sees it
  // initialised (it always is: the array is constructed with the heap).
  while (slot >= used && !cpu_slots_used_.compare_exchange_weak(used, slot + 1,
                                                               std::memory_order_release)) {
  }
  return cpus_[slot];
}

void* Heap::cache_allocate(std::size_t class_index) {
  void* object;
  bool slow = false;
  {
    smp::IrqGuard irq;  // pins this CPU: its cache is ours until the guard ends
    CpuCache& cache = this_cpu_cache();
    IrqSpinGuard guard(cache.lock);
    platform::interleave_point();  // explorer: another CPU or an interrupt may act here
    Magazine*& loaded = cache.loaded[class_index];
    if (loaded == nullptr || loaded->count == 0) {
      Magazine*& previous = cache.previous[class_index];
      // A previous with objects, or an empty one when none is loaded (the refill fills it).
      if (previous != nullptr && (previous->count > 0 || loaded == nullptr)) {
        swap_pointers(loaded, previous);
      }
    }
    if (loaded != nullptr && loaded->count > 0) {
      object = loaded->rounds[--loaded->count];
    } else {
      slow = true;
      object = refill_and_pop(cache, class_index);
      if (object == nullptr) return nullptr;
    }
    cache.handed_out.store(cache.handed_out.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  }
  const bool intact = marked_free(object);
  auto* word = static_cast<std::uint64_t*>(object);
  word[0] = 0;
  word[1] = 0;
  if (slow) report_late_fault();
  if (!intact) {
    // Written after it was freed. Still handed out: the write hurt nobody else.
    faults_.fetch_add(1, std::memory_order_relaxed);
    report(HeapFault::kUseAfterFree, object);
  }
  return object;
}

void* Heap::try_allocate(std::size_t size, std::size_t alignment) {
  const std::size_t need = size > alignment ? size : alignment;
  if (need <= kMaxSmall) return cache_allocate(class_index_for(need));
  IrqSpinGuard guard(large_lock_);
  return allocate_large(size, alignment);
}

void* Heap::allocate(std::size_t size, std::size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) return nullptr;
  if (alignment < kMinSmall) alignment = kMinSmall;
  if (size == 0) size = 1;
  if (size > kMaxLarge) return nullptr;
  void* p = try_allocate(size, alignment);
  if (p == nullptr) {
    // Out of pages: free objects cached on every CPU may hold whole slabs. Give them back
    // and try once more.
    drain();
    p = try_allocate(size, alignment);
  }
  return p;
}

Heap::Slab* Heap::known_small_slab_of(CpuCache& cache, const void* p) {
  // kSlabSize-aligned pointers are headers, never objects (small_slab_of says why).
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  if ((address & (kSlabSize - 1)) == 0) return nullptr;
  const std::uintptr_t base = address & ~(std::uintptr_t{kSlabSize} - 1);
  std::uintptr_t& known = cache.known[(base / kSlabSize) % kKnownRegions];
  if (known != base) {
    // Not seen yet: ask the page source (its lock) whether reading the header is safe. Its
    // memory stays its own, so the answer is kept.
    if (!pages_.contains(reinterpret_cast<const void*>(base))) return nullptr;
    known = base;
  }
  return checked_small_slab(reinterpret_cast<Slab*>(base), p);
}

Heap::FreeResult Heap::cache_free(void* p, std::size_t size, std::size_t alignment,
                                  HeapFault& fault) {
  bool slow = false;
  {
    smp::IrqGuard irq;  // pins this CPU: its cache is ours until the guard ends
    CpuCache& cache = this_cpu_cache();
    IrqSpinGuard guard(cache.lock);
    platform::interleave_point();  // explorer: another CPU or an interrupt may act here
    Slab* slab = known_small_slab_of(cache, p);
    if (slab == nullptr) return FreeResult::kNotSmall;
    const std::size_t class_index = slab->class_index;
    const std::uint32_t rounds = classes_[class_index].rounds;
    const auto* word = static_cast<const std::uint64_t*>(p);
    if (size > slab->object_size || alignment > slab->object_size) {
      fault = HeapFault::kSizeMismatch;
      return FreeResult::kFault;
    }
    // Free markers on the object: held in a magazine, or (a first word that is a free-list
    // link) in its slab. The slab's bitmap decides, under the class lock.
    if (word[1] == kPoison && confirm_double_free(p, slab)) {
      fault = HeapFault::kDoubleFree;
      return FreeResult::kFault;
    }
    mark_free(p);
    Magazine*& loaded = cache.loaded[class_index];
    if (loaded == nullptr || loaded->count == rounds) {
      Magazine*& previous = cache.previous[class_index];
      if (previous != nullptr && previous->count < rounds) {
        swap_pointers(loaded, previous);
      } else {
        slow = true;
        exchange_full(cache, class_index);
      }
    }
    if (loaded != nullptr) {
      loaded->rounds[loaded->count++] = p;
    } else {
      // No memory for a magazine: the object goes straight back to its slab.
      slow = true;
      SlabClass& cls = classes_[class_index];
      IrqSpinGuard class_guard(cls.lock);
      slab_return(p, slab);
    }
    cache.handed_out.store(cache.handed_out.load(std::memory_order_relaxed) - 1,
                           std::memory_order_relaxed);
  }
  if (slow) report_late_fault();
  return FreeResult::kFreed;
}

void Heap::free(void* p, std::size_t size, std::size_t alignment) {
  if (p == nullptr) return;
  HeapFault fault = HeapFault::kUnknownPointer;
  switch (cache_free(p, size, alignment, fault)) {
    case FreeResult::kFreed: return;
    case FreeResult::kFault:
      faults_.fetch_add(1, std::memory_order_relaxed);
      report(fault, p);
      return;
    case FreeResult::kNotSmall: break;
  }
  bool mismatch = false;
  bool freed;
  {
    IrqSpinGuard guard(large_lock_);
    freed = free_large(p, size, alignment, mismatch);
  }
  if (freed) return;
  faults_.fetch_add(1, std::memory_order_relaxed);
  report(mismatch ? HeapFault::kSizeMismatch : HeapFault::kUnknownPointer, p);
}

std::size_t Heap::usable_size(const void* p) {
  if (p == nullptr) return 0;
  if (Slab* slab = small_slab_of(p)) {
    IrqSpinGuard guard(classes_[slab->class_index].lock);
    if (!slab->is_out(slab->index_of(p)) || marked_free(p)) return 0;
    return slab->object_size;
  }
  IrqSpinGuard guard(large_lock_);
  if (LargeEntry* entry = find_large(reinterpret_cast<std::uintptr_t>(p))) {
    return entry->pages * PageSource::kPageSize;
  }
  return 0;
}

HeapStats Heap::stats() {
  HeapStats s = {};
  std::int64_t handed_out = 0;
  const std::uint32_t used = cpu_slots_used_.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < used; ++i) {
    handed_out += cpus_[i].handed_out.load(std::memory_order_relaxed);
  }
  std::uint64_t out = 0;
  for (std::size_t c = 0; c < kClassCount; ++c) out += classes_[c].out.load(std::memory_order_relaxed);
  s.small_in_use = handed_out > 0 ? static_cast<std::uint64_t>(handed_out) : 0;
  s.cached_objects = out > s.small_in_use ? out - s.small_in_use : 0;
  s.slab_pages = slab_pages_.load(std::memory_order_relaxed);
  s.faults = faults_.load(std::memory_order_relaxed);
  s.magazines = magazines_.load(std::memory_order_relaxed);
  s.drains = drains_.load(std::memory_order_relaxed);
  IrqSpinGuard guard(large_lock_);
  s.large_in_use = large_in_use_;
  s.large_pages = large_pages_;
  s.table_pages = large_table_pages_;
  return s;
}

void Heap::drain() {
  drains_.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t used = cpu_slots_used_.load(std::memory_order_acquire);
  for (std::uint32_t i = 0; i < used; ++i) {
    Magazine* taken[2 * kClassCount];
    {
      IrqSpinGuard guard(cpus_[i].lock);
      for (std::size_t c = 0; c < kClassCount; ++c) {
        taken[2 * c] = cpus_[i].loaded[c];
        taken[2 * c + 1] = cpus_[i].previous[c];
        cpus_[i].loaded[c] = nullptr;
        cpus_[i].previous[c] = nullptr;
      }
    }
    for (std::size_t c = 0; c < kClassCount; ++c) {
      if (taken[2 * c] == nullptr && taken[2 * c + 1] == nullptr) continue;
      IrqSpinGuard guard(classes_[c].lock);
      platform::interleave_point();  // explorer: the CPU drained may allocate again here
      for (Magazine* m : {taken[2 * c], taken[2 * c + 1]}) {
        if (m == nullptr) continue;
        flush_magazine(m, c);
        release_magazine(m);
      }
    }
  }
  for (std::size_t c = 0; c < kClassCount; ++c) {
    SlabClass& cls = classes_[c];
    IrqSpinGuard guard(cls.lock);
    while (Magazine* m = cls.full) {
      cls.full = m->next;
      flush_magazine(m, c);
      release_magazine(m);
    }
    while (Magazine* m = cls.empties) {
      cls.empties = m->next;
      release_magazine(m);
    }
    cls.full_count = 0;
    cls.empty_count = 0;
    release_empty_slabs(c);
  }
  {
    IrqSpinGuard guard(classes_[kMagazineClass].lock);
    release_empty_slabs(kMagazineClass);
  }
  report_late_fault();
}

}  // namespace mm
