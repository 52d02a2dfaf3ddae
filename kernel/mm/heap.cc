// The heap's front end: the per-CPU magazine fast paths, the checks on free, stats and drain.
// The depot is heap_depot.cc, the slabs heap_slab.cc, large blocks heap_large.cc.
#include "kernel/mm/heap.h"

#include "kernel/mm/heap_layout.h"
#include "smp/irq_guard.h"

namespace mm {

using namespace heap_detail;

namespace {

// The class of `bytes` (1..kMaxSmall): log2 of the next power of two, minus log2(kMinSmall).
std::size_t class_index_for(std::size_t bytes) {
  static_assert(Heap::kMinSmall == 16, "class 0 holds 2^4 bytes");
  if (bytes <= Heap::kMinSmall) return 0;
  return 64 - static_cast<std::size_t>(__builtin_clzll(bytes - 1)) - 4;
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

void Heap::set_remote_flush(RemoteFlush hook, void* context) {
  remote_flush_context_ = context;
  remote_flush_ = hook;
}

// The fast paths' helpers are forced inline (each is private to this file): calls and their
// register spills were a fifth of a same-CPU allocate and free.
[[gnu::always_inline]] inline Heap::CpuCache& Heap::this_cpu_cache() {
  // Interrupts are off (the caller's guard), so the CPU cannot change until the caller is done.
  // The modulo only keeps a platform bug (a CPU number >= kMaxCpus) inside the array.
  const std::uint32_t slot = platform::to_index(platform::current_cpu()) % kCpuSlots;
  std::uint32_t used = cpu_slots_used_.load(std::memory_order_relaxed);
  // Release pairs with drain()'s acquire: a drain that sees the slot counted sees it
  // initialised (it always is: the array is constructed with the heap).
  while (slot >= used && !cpu_slots_used_.compare_exchange_weak(used, slot + 1,
                                                               std::memory_order_release)) {
  }
  return cpus_[slot];
}

[[gnu::always_inline]] inline void* Heap::cache_allocate(std::size_t class_index) {
  void* object;
  bool slow = false;
  {
    // Pins this CPU and keeps its interrupt handlers out: the cache is ours alone until the
    // guard ends (no other CPU touches it, but for setting flush_requested).
    smp::IrqGuard irq;
    CpuCache& cache = this_cpu_cache();
    platform::interleave_point();  // explorer: another CPU (not an interrupt) may act here
    if (cache.flush_requested.load(std::memory_order_relaxed)) {
      slow = true;
      flush_cache(cache);
    }
    Magazine*& loaded = cache.loaded[class_index];
    if (loaded == nullptr || loaded->count == 0) {
      Magazine*& previous = cache.previous[class_index];
      // A previous with objects, or an empty one when none is loaded (the refill fills it).
      if (previous != nullptr && (previous->count > 0 || loaded == nullptr)) {
        swap_pointers(loaded, previous);
      }
    }
    Magazine* const magazine = loaded;
    // Explorer: a point between choosing the magazine and popping from it, where only another
    // CPU could step in; nothing it does may touch this cache (the drain test checks it).
    platform::interleave_point();
    if (magazine != nullptr && magazine->count > 0) {
      object = magazine->rounds[--magazine->count];
    } else {
      slow = true;
      object = refill_and_pop(cache, class_index);
      if (object == nullptr) return nullptr;
    }
    cache.handed_out.store(cache.handed_out.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  }
  if (slow) report_late_fault();
  return hand_out(object);
}

[[gnu::always_inline]] inline void* Heap::cache_pop(std::size_t class_index) {
  // cache_allocate's path when the loaded magazine has an object, with its guard and its
  // explorer points.
  smp::IrqGuard irq;
  CpuCache& cache = this_cpu_cache();
  platform::interleave_point();
  if (cache.flush_requested.load(std::memory_order_relaxed)) return nullptr;
  Magazine* const magazine = cache.loaded[class_index];
  platform::interleave_point();
  if (magazine == nullptr || magazine->count == 0) return nullptr;
  void* const object = magazine->rounds[--magazine->count];
  cache.handed_out.store(cache.handed_out.load(std::memory_order_relaxed) + 1,
                         std::memory_order_relaxed);
  return object;
}

[[gnu::always_inline]] inline void* Heap::hand_out(void* object) {
  const bool intact = marked_free(object);
  auto* word = static_cast<std::uint64_t*>(object);
  word[0] = 0;
  word[1] = 0;
  // A tail call, so that the common case keeps no value across a call.
  if (!intact) return handed_out_after_write(object);
  return object;
}

[[gnu::noinline, gnu::cold]] void* Heap::handed_out_after_write(void* object) {
  // Written after it was freed. Still handed out: the write hurt nobody else.
  faults_.fetch_add(1, std::memory_order_relaxed);
  report(HeapFault::kUseAfterFree, object);
  return object;
}

[[gnu::always_inline]] inline void* Heap::try_allocate(std::size_t size, std::size_t alignment) {
  const std::size_t need = size > alignment ? size : alignment;
  if (need <= kMaxSmall) return cache_allocate(class_index_for(need));
  IrqSpinGuard guard(large_lock_);
  return allocate_large(size, alignment);
}

void* Heap::allocate(std::size_t size, std::size_t alignment) {
  // The common case: a valid alignment, a small class and an object in the loaded magazine.
  // need - 1 wraps for size 0 with alignment 0, which the slow path refuses. A size below
  // kMinSmall or 0 is class 0 either way, as the slow path's adjustments make it.
  const std::size_t need = size > alignment ? size : alignment;
  if (need - 1 < kMaxSmall && alignment != 0 && (alignment & (alignment - 1)) == 0) {
    if (void* object = cache_pop(class_index_for(need))) return hand_out(object);
  }
  return allocate_slow(size, alignment);
}

[[gnu::noinline]] void* Heap::allocate_slow(std::size_t size, std::size_t alignment) {
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

[[gnu::always_inline]] inline Heap::FreeResult Heap::cache_free(void* p, std::size_t size,
                                                                std::size_t alignment,
                                                                HeapFault& fault) {
  bool slow = false;
  {
    smp::IrqGuard irq;  // as in cache_allocate: this CPU's cache is ours alone
    CpuCache& cache = this_cpu_cache();
    platform::interleave_point();  // explorer: another CPU (not an interrupt) may act here
    if (cache.flush_requested.load(std::memory_order_relaxed)) {
      slow = true;
      flush_cache(cache);
    }
    Slab* slab = small_slab_of(p);
    if (slab == nullptr) return FreeResult::kNotSmall;
    const std::size_t class_index = slab->class_index;
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
    if (loaded == nullptr || loaded->count == loaded->capacity) {
      Magazine*& previous = cache.previous[class_index];
      if (previous != nullptr && previous->count < previous->capacity) {
        swap_pointers(loaded, previous);
      } else {
        slow = true;
        exchange_full(cache, class_index);
      }
    }
    Magazine* const magazine = loaded;
    platform::interleave_point();  // explorer: as in cache_allocate, before the push
    if (magazine != nullptr) {
      magazine->rounds[magazine->count++] = p;
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

[[gnu::always_inline]] inline bool Heap::cache_push(void* p, std::size_t size,
                                                    std::size_t alignment) {
  // cache_free's path when the object passes every check at once and the loaded magazine has
  // room, with its guard and its explorer points. A free marker on the object (a double free,
  // or a live object that looks like one) is for cache_free to confirm.
  smp::IrqGuard irq;
  CpuCache& cache = this_cpu_cache();
  platform::interleave_point();
  if (cache.flush_requested.load(std::memory_order_relaxed)) return false;
  Slab* const slab = small_slab_if_known(p);  // nullptr for p == nullptr too
  if (slab == nullptr) return false;
  if (size > slab->object_size || alignment > slab->object_size) return false;
  if (static_cast<const std::uint64_t*>(p)[1] == kPoison) return false;
  Magazine* const magazine = cache.loaded[slab->class_index];
  platform::interleave_point();
  if (magazine == nullptr || magazine->count == magazine->capacity) return false;
  mark_free(p);
  magazine->rounds[magazine->count++] = p;
  cache.handed_out.store(cache.handed_out.load(std::memory_order_relaxed) - 1,
                         std::memory_order_relaxed);
  return true;
}

void Heap::free(void* p, std::size_t size, std::size_t alignment) {
  if (cache_push(p, size, alignment)) return;
  free_slow(p, size, alignment);
}

[[gnu::noinline]] void Heap::free_slow(void* p, std::size_t size, std::size_t alignment) {
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

void Heap::flush_cache(CpuCache& cache) {
  // Cleared first: a request that arrives meanwhile is answered by the next call.
  cache.flush_requested.store(false, std::memory_order_relaxed);
  for (std::size_t c = 0; c < kClassCount; ++c) {
    Magazine* taken[2] = {cache.loaded[c], cache.previous[c]};
    if (taken[0] == nullptr && taken[1] == nullptr) continue;
    cache.loaded[c] = nullptr;
    cache.previous[c] = nullptr;
    IrqSpinGuard guard(classes_[c].lock);
    platform::interleave_point();  // explorer: other CPUs may use the class meanwhile
    for (Magazine* m : taken) {
      if (m == nullptr) continue;
      flush_magazine(m, c);
      release_magazine(m);
    }
  }
}

void Heap::flush_this_cpu() {
  {
    smp::IrqGuard irq;  // this CPU's cache is ours alone (see cache_allocate)
    flush_cache(this_cpu_cache());
  }
  report_late_fault();
}

void Heap::drain() {
  drains_.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t used = cpu_slots_used_.load(std::memory_order_acquire);
  std::uint32_t self;
  {
    smp::IrqGuard irq;  // this CPU's cache is ours alone (see cache_allocate)
    CpuCache& cache = this_cpu_cache();
    self = static_cast<std::uint32_t>(&cache - cpus_);
    flush_cache(cache);
  }
  // Every other CPU flushes its own magazines at its next heap call. Relaxed: the flag carries
  // no data; the owner reads its own magazines.
  for (std::uint32_t i = 0; i < used; ++i) {
    if (i != self) cpus_[i].flush_requested.store(true, std::memory_order_relaxed);
  }
  if (remote_flush_ != nullptr) remote_flush_(*this, remote_flush_context_);
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
