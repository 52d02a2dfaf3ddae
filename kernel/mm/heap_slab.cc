// The heap's slab layer: kSlabSize-aligned slabs of one class each, a free list and an
// allocation bitmap per slab, under the class lock.
#include "kernel/mm/heap.h"

#include "kernel/mm/heap_layout.h"

namespace mm {

using namespace heap_detail;

namespace {

constexpr std::size_t kSlabPages = Heap::kSlabSize / PageSource::kPageSize;

// Threads the free objects of `slab` (bitmap bits clear) into its free list, in address order.
// Their second words keep what they hold, so a poison already overwritten is still reported.
template <typename Slab>
void rebuild_free_list(Slab* slab) {
  void* head = nullptr;
  auto* base = reinterpret_cast<std::uint8_t*>(slab) + slab->first_offset;
  for (std::uint32_t i = slab->capacity; i-- > 0;) {
    if (slab->is_out(i)) continue;
    auto* object = reinterpret_cast<std::uint64_t*>(base + std::size_t{i} * slab->object_size);
    object[0] = reinterpret_cast<std::uintptr_t>(head);
    head = object;
  }
  slab->free_head = head;
}

// True when `link` may follow a free object of `slab`: null, or a free object of the slab.
template <typename Slab>
bool valid_link(const Slab* slab, std::uintptr_t link) {
  if (link == 0) return true;
  const std::uintptr_t first = reinterpret_cast<std::uintptr_t>(slab) + slab->first_offset;
  if (link < first) return false;
  const std::uintptr_t offset = link - first;
  if (offset % slab->object_size != 0 || offset / slab->object_size >= slab->capacity) return false;
  return !slab->is_out(offset / slab->object_size);
}

}  // namespace

Heap::Slab* Heap::new_slab(std::size_t class_index) {
  void* block = pages_.alloc_pages(kSlabPages, kSlabSize);
  if (block == nullptr) return nullptr;
  auto* slab = static_cast<Slab*>(block);
  const auto size = static_cast<std::uint32_t>(class_index == kMagazineClass ? sizeof(Magazine)
                                                                             : kMinSmall << class_index);
  slab->magic = kSlabMagic ^ reinterpret_cast<std::uintptr_t>(slab);
  slab->class_index = static_cast<std::uint32_t>(class_index);
  slab->object_size = size;
  slab->first_offset = static_cast<std::uint32_t>(align_up(sizeof(Slab), size));
  slab->capacity = static_cast<std::uint32_t>((kSlabSize - slab->first_offset) / size);
  slab->next = slab->prev = nullptr;
  slab->in_use = 0;
  slab->on_partial = 0;
  for (auto& word : slab->allocated) word = 0;
  auto* base = static_cast<std::uint8_t*>(block) + slab->first_offset;
  for (std::uint32_t i = 0; i < slab->capacity; ++i) {
    reinterpret_cast<std::uint64_t*>(base + std::size_t{i} * size)[1] = kPoison;
  }
  rebuild_free_list(slab);
  slab_pages_.fetch_add(kSlabPages, std::memory_order_relaxed);
  return slab;
}

void* Heap::slab_take(std::size_t class_index) {
  SlabClass& cls = classes_[class_index];
  Slab* slab = cls.partial;
  if (slab == nullptr) {
    slab = cls.empty;
    cls.empty = nullptr;
    if (slab == nullptr) slab = new_slab(class_index);
    if (slab == nullptr) return nullptr;
    slab->next = slab->prev = nullptr;
    cls.partial = slab;
    slab->on_partial = 1;
  }
  auto* object = static_cast<std::uint64_t*>(slab->free_head);
  const std::size_t index = slab->index_of(object);
  slab->allocated[index / 64] |= 1ull << (index % 64);
  ++slab->in_use;
  if (valid_link(slab, object[0])) {
    slab->free_head = reinterpret_cast<void*>(object[0]);
  } else {
    // The link was overwritten after free: rebuild the list from the bitmap, and clear the
    // poison so the write is reported when this object is handed out.
    object[1] = 0;
    rebuild_free_list(slab);
  }
  if (slab->in_use == slab->capacity) {
    // Full: off the partial list until something is freed.
    cls.partial = slab->next;
    if (slab->next) slab->next->prev = nullptr;
    slab->next = nullptr;
    slab->on_partial = 0;
  }
  cls.out.store(cls.out.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  return object;
}

void Heap::slab_return(void* p, Slab* slab) {
  SlabClass& cls = classes_[slab->class_index];
  const std::size_t index = slab->index_of(p);
  if (!slab->is_out(index)) {
    // Already in the slab: a double free whose markers were overwritten in between.
    note_late_fault(HeapFault::kDoubleFree, p);
    return;
  }
  slab->allocated[index / 64] &= ~(1ull << (index % 64));
  auto* object = static_cast<std::uint64_t*>(p);
  object[0] = reinterpret_cast<std::uintptr_t>(slab->free_head);
  object[1] = kPoison;
  slab->free_head = object;
  --slab->in_use;
  cls.out.store(cls.out.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  if (!slab->on_partial) {
    slab->prev = nullptr;
    slab->next = cls.partial;
    if (cls.partial) cls.partial->prev = slab;
    cls.partial = slab;
    slab->on_partial = 1;
  }
  if (slab->in_use != 0) return;
  // Empty: keep one per class for the next burst, give the rest back.
  if (slab->prev) slab->prev->next = slab->next;
  else cls.partial = slab->next;
  if (slab->next) slab->next->prev = slab->prev;
  slab->on_partial = 0;
  slab->next = slab->prev = nullptr;
  if (cls.empty == nullptr) {
    cls.empty = slab;
    return;
  }
  slab->magic = 0;  // a stale pointer into it must not pass as a slab later
  slab_pages_.fetch_sub(kSlabPages, std::memory_order_relaxed);
  pages_.free_pages(slab, kSlabPages);
}

void Heap::release_empty_slabs(std::size_t class_index) {
  SlabClass& cls = classes_[class_index];
  if (Slab* slab = cls.empty) {
    cls.empty = nullptr;
    slab->magic = 0;
    slab_pages_.fetch_sub(kSlabPages, std::memory_order_relaxed);
    pages_.free_pages(slab, kSlabPages);
  }
}

Heap::Slab* Heap::slab_of(const void* p) const {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  auto* slab = reinterpret_cast<Slab*>(address & ~(std::uintptr_t{kSlabSize} - 1));
  // Read the candidate header only when it is memory the page source owns.
  if (!page_source_region(reinterpret_cast<std::uintptr_t>(slab)) || !slab->valid()) return nullptr;
  return slab;
}

bool Heap::confirm_double_free(void* p, Slab* slab) {
  IrqSpinGuard guard(classes_[slab->class_index].lock);
  // Bit clear: in the slab. Bit set and both markers: in a magazine (or a live object holding
  // exactly its own tag, which the markers make a 2^-128 accident).
  return !slab->is_out(slab->index_of(p)) || marked_free(p);
}

}  // namespace mm
