// The heap's depot: full and empty magazines per class, exchanged with the CPU caches under the
// class lock (Bonwick and Adams 2001, section 3). Magazines are objects of their own slab class.
#include "kernel/mm/heap.h"

#include "kernel/mm/heap_layout.h"
#include "smp/platform/platform.h"

namespace mm {

using namespace heap_detail;

Heap::Magazine* Heap::take_empty_magazine(SlabClass& cls) {
  if (Magazine* m = cls.empties) {
    cls.empties = m->next;
    --cls.empty_count;
    m->next = nullptr;
    return m;
  }
  void* object;
  {
    IrqSpinGuard guard(classes_[kMagazineClass].lock);
    object = slab_take(kMagazineClass);
  }
  if (object == nullptr) return nullptr;
  auto* m = static_cast<Magazine*>(object);
  m->next = nullptr;
  m->count = 0;
  m->capacity = cls.rounds;
  magazines_.fetch_add(1, std::memory_order_relaxed);
  return m;
}

void Heap::release_magazine(Magazine* magazine) {
  magazines_.fetch_sub(1, std::memory_order_relaxed);
  IrqSpinGuard guard(classes_[kMagazineClass].lock);
  slab_return(magazine, slab_of(magazine));
}

void Heap::flush_magazine(Magazine* magazine, std::size_t class_index) {
  for (std::uint32_t i = 0; i < magazine->count; ++i) {
    void* object = magazine->rounds[i];
    // Free since it went in: overwritten markers are a write after free.
    if (!marked_free(object)) note_late_fault(HeapFault::kUseAfterFree, object);
    Slab* slab = slab_of(object);
    if (slab == nullptr || slab->class_index != class_index) {
      note_late_fault(HeapFault::kUnknownPointer, object);  // a heap bug: keep going
      continue;
    }
    slab_return(object, slab);
  }
  magazine->count = 0;
}

void* Heap::refill_and_pop(CpuCache& cache, std::size_t class_index) {
  SlabClass& cls = classes_[class_index];
  Magazine*& loaded = cache.loaded[class_index];
  IrqSpinGuard guard(cls.lock);
  platform::interleave_point();  // explorer: another CPU may be waiting for the depot here
  if (Magazine* full = cls.full) {
    cls.full = full->next;
    --cls.full_count;
    full->next = nullptr;
    if (loaded != nullptr) {
      if (cls.empty_count < kDepotEmptyMax) {
        loaded->next = cls.empties;
        cls.empties = loaded;
        ++cls.empty_count;
      } else {
        release_magazine(loaded);
      }
    }
    loaded = full;
  } else {
    if (loaded == nullptr) loaded = take_empty_magazine(cls);
    if (loaded == nullptr) {
      // No memory for a magazine: hand out one object straight from the slabs.
      void* object = slab_take(class_index);
      if (object == nullptr) return nullptr;
      auto* word = static_cast<std::uint64_t*>(object);
      if (word[1] == kPoison) word[0] = free_tag(object);  // so the caller's check passes
      return object;
    }
    // Half a magazine: the CPU can then both allocate and free for a while without coming
    // back here.
    const std::uint32_t want = cls.rounds > 1 ? cls.rounds / 2 : 1;
    while (loaded->count < want) {
      void* object = slab_take(class_index);
      if (object == nullptr) break;
      // An overwritten poison stays as it is, so the pop reports the write after free.
      auto* word = static_cast<std::uint64_t*>(object);
      if (word[1] == kPoison) word[0] = free_tag(object);
      loaded->rounds[loaded->count++] = object;
    }
    if (loaded->count == 0) return nullptr;
  }
  return loaded->rounds[--loaded->count];
}

void Heap::exchange_full(CpuCache& cache, std::size_t class_index) {
  SlabClass& cls = classes_[class_index];
  Magazine*& loaded = cache.loaded[class_index];
  Magazine*& previous = cache.previous[class_index];
  IrqSpinGuard guard(cls.lock);
  platform::interleave_point();  // explorer: another CPU may be waiting for the depot here
  if (loaded != nullptr) {
    Magazine* full = previous;
    previous = loaded;
    loaded = nullptr;
    if (full != nullptr) {
      if (cls.full_count < kDepotFullMax) {
        full->next = cls.full;
        cls.full = full;
        ++cls.full_count;
      } else {
        // The depot has enough: these objects go back to their slabs; the magazine is reused.
        flush_magazine(full, class_index);
        loaded = full;
        return;
      }
    }
  }
  loaded = take_empty_magazine(cls);
}

}  // namespace mm
