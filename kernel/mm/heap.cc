#include "kernel/mm/heap.h"

namespace mm {

namespace {

constexpr std::uint64_t kSlabMagic = 0x534c41424d41474full;  // "SLABMAGO"; XORed with the address
constexpr std::uint64_t kPoison = 0xdeadbeefdeadbeefull;     // second word of a free object
constexpr std::uintptr_t kEmpty = 0;
constexpr std::uintptr_t kTombstone = 1;  // user pointers are page aligned, never 1
constexpr std::size_t kMaxObjects = Heap::kSlabSize / Heap::kMinSmall;

constexpr std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) & ~(a - 1); }

std::size_t class_index_for(std::size_t bytes) {
  std::size_t index = 0;
  for (std::size_t size = Heap::kMinSmall; size < bytes; size <<= 1) ++index;
  return index;
}

std::size_t hash(std::uintptr_t key, std::size_t capacity) {
  // Keys are page aligned: drop the zero bits, then a multiplicative hash (capacity is 2^n).
  return static_cast<std::size_t>(((key >> 12) * 0x9e3779b97f4a7c15ull) >> 20) & (capacity - 1);
}

}  // namespace

// Lives at the start of each kSlabSize-aligned slab; objects follow at first_offset.
struct Heap::Slab {
  std::uint64_t magic;
  Slab* next;
  Slab* prev;
  void* free_head;  // first free object; its first word links to the next
  std::uint32_t class_index;
  std::uint32_t object_size;
  std::uint32_t first_offset;
  std::uint32_t capacity;
  std::uint32_t in_use;
  std::uint32_t on_partial;  // 1 while linked in partial_[class_index]
  std::uint64_t allocated[kMaxObjects / 64];  // bit per object: set while handed out

  bool valid() const { return magic == (kSlabMagic ^ reinterpret_cast<std::uintptr_t>(this)); }
};

const char* describe(HeapFault fault) {
  switch (fault) {
    case HeapFault::kDoubleFree: return "double free";
    case HeapFault::kUnknownPointer: return "free of a pointer the heap does not own";
    case HeapFault::kSizeMismatch: return "sized/aligned delete does not match the allocation";
    case HeapFault::kUseAfterFree: return "freed object written after free";
  }
  return "?";
}

void Heap::report(HeapFault fault, const void* p) {
  if (hook_) hook_(fault, p);
}

Heap::Slab* Heap::new_slab(std::size_t class_index) {
  void* block = pages_.alloc_pages(kSlabSize / PageSource::kPageSize, kSlabSize);
  if (!block) return nullptr;
  auto* slab = static_cast<Slab*>(block);
  const auto size = static_cast<std::uint32_t>(kMinSmall << class_index);
  slab->magic = kSlabMagic ^ reinterpret_cast<std::uintptr_t>(slab);
  slab->next = slab->prev = nullptr;
  slab->class_index = static_cast<std::uint32_t>(class_index);
  slab->object_size = size;
  slab->first_offset = static_cast<std::uint32_t>(align_up(sizeof(Slab), size));
  slab->capacity = static_cast<std::uint32_t>((kSlabSize - slab->first_offset) / size);
  slab->in_use = 0;
  slab->on_partial = 0;
  for (auto& word : slab->allocated) word = 0;
  // Thread the free list back to front so objects go out in address order.
  void* head = nullptr;
  auto* base = static_cast<std::uint8_t*>(block) + slab->first_offset;
  for (std::uint32_t i = slab->capacity; i-- > 0;) {
    auto* object = reinterpret_cast<std::uint64_t*>(base + std::size_t{i} * size);
    object[0] = reinterpret_cast<std::uintptr_t>(head);
    object[1] = kPoison;
    head = object;
  }
  slab->free_head = head;
  stats_.slab_pages += kSlabSize / PageSource::kPageSize;
  return slab;
}

void* Heap::allocate_small(std::size_t class_index, HeapFault& fault, const void*& fault_at) {
  Slab* slab = partial_[class_index];
  if (!slab) {
    slab = empty_[class_index];
    empty_[class_index] = nullptr;
    if (!slab) slab = new_slab(class_index);
    if (!slab) return nullptr;
    slab->next = nullptr;
    slab->prev = nullptr;
    partial_[class_index] = slab;
    slab->on_partial = 1;
  }
  auto* object = static_cast<std::uint64_t*>(slab->free_head);
  if (object[1] != kPoison) {
    // Someone wrote to this object after freeing it. Report it; the object is still handed out
    // (with a fresh value) because the list link in word 0 may be intact.
    fault = HeapFault::kUseAfterFree;
    fault_at = object;
    ++stats_.faults;
  }
  slab->free_head = reinterpret_cast<void*>(object[0]);
  const std::size_t index =
      (reinterpret_cast<std::uintptr_t>(object) - reinterpret_cast<std::uintptr_t>(slab) -
       slab->first_offset) / slab->object_size;
  slab->allocated[index / 64] |= 1ull << (index % 64);
  ++slab->in_use;
  if (slab->in_use == slab->capacity) {
    // Full: off the partial list until something is freed.
    partial_[class_index] = slab->next;
    if (slab->next) slab->next->prev = nullptr;
    slab->next = nullptr;
    slab->on_partial = 0;
  }
  ++stats_.small_in_use;
  object[0] = 0;
  object[1] = 0;
  return object;
}

Heap::LargeEntry* Heap::find_large(std::uintptr_t key) {
  if (large_capacity_ == 0) return nullptr;
  for (std::size_t i = hash(key, large_capacity_), n = 0; n < large_capacity_;
       i = (i + 1) & (large_capacity_ - 1), ++n) {
    if (large_[i].key == kEmpty) return nullptr;
    if (large_[i].key == key) return &large_[i];
  }
  return nullptr;
}

bool Heap::grow_large_table() {
  const std::size_t capacity = large_capacity_ == 0 ? 256 : large_capacity_ * 2;
  const std::size_t bytes = capacity * sizeof(LargeEntry);
  const std::size_t table_pages = align_up(bytes, PageSource::kPageSize) / PageSource::kPageSize;
  auto* table = static_cast<LargeEntry*>(pages_.alloc_pages(table_pages, PageSource::kPageSize));
  if (!table) return false;
  for (std::size_t i = 0; i < capacity; ++i) table[i] = LargeEntry{kEmpty, 0};
  for (std::size_t i = 0; i < large_capacity_; ++i) {
    if (large_[i].key == kEmpty || large_[i].key == kTombstone) continue;
    std::size_t j = hash(large_[i].key, capacity);
    while (table[j].key != kEmpty) j = (j + 1) & (capacity - 1);
    table[j] = large_[i];
  }
  if (large_) {
    const std::size_t old_pages =
        align_up(large_capacity_ * sizeof(LargeEntry), PageSource::kPageSize) / PageSource::kPageSize;
    pages_.free_pages(large_, old_pages);
  }
  large_ = table;
  large_capacity_ = capacity;
  large_tombstones_ = 0;
  return true;
}

bool Heap::insert_large(std::uintptr_t key, std::size_t pages) {
  // Keep the table at most half full (tombstones included) so probes stay short.
  if ((large_used_ + large_tombstones_ + 1) * 2 > large_capacity_ && !grow_large_table()) {
    return false;
  }
  std::size_t i = hash(key, large_capacity_);
  while (large_[i].key != kEmpty && large_[i].key != kTombstone) i = (i + 1) & (large_capacity_ - 1);
  if (large_[i].key == kTombstone) --large_tombstones_;
  large_[i] = LargeEntry{key, pages};
  ++large_used_;
  return true;
}

void* Heap::allocate_large(std::size_t size, std::size_t alignment) {
  if (size > (std::size_t{1} << 46)) return nullptr;  // beyond any direct map: do not overflow
  const std::size_t pages = align_up(size, PageSource::kPageSize) / PageSource::kPageSize;
  const std::size_t align = alignment < PageSource::kPageSize ? PageSource::kPageSize : alignment;
  void* block = pages_.alloc_pages(pages, align);
  if (!block) return nullptr;
  if (!insert_large(reinterpret_cast<std::uintptr_t>(block), pages)) {
    pages_.free_pages(block, pages);
    return nullptr;
  }
  ++stats_.large_in_use;
  stats_.large_pages += pages;
  return block;
}

void* Heap::allocate(std::size_t size, std::size_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) return nullptr;
  if (alignment < kMinSmall) alignment = kMinSmall;
  if (size == 0) size = 1;
  HeapFault fault = HeapFault::kUseAfterFree;
  const void* fault_at = nullptr;
  void* result;
  {
    IrqSpinGuard guard(lock_);
    const std::size_t need = size > alignment ? size : alignment;
    result = need <= kMaxSmall ? allocate_small(class_index_for(need), fault, fault_at)
                               : allocate_large(size, alignment);
  }
  if (fault_at) report(fault, fault_at);
  return result;
}

Heap::Slab* Heap::slab_of(const void* p) const {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  auto* slab = reinterpret_cast<Slab*>(address & ~(std::uintptr_t{kSlabSize} - 1));
  // Read the candidate header only when it is memory the page source owns.
  if (!pages_.contains(slab) || !slab->valid()) return nullptr;
  return slab;
}

bool Heap::free_small(void* p, std::size_t size, std::size_t alignment, HeapFault& fault) {
  Slab* slab = slab_of(p);
  if (!slab) {
    fault = HeapFault::kUnknownPointer;
    return false;
  }
  const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(p) -
                                reinterpret_cast<std::uintptr_t>(slab);
  if (offset < slab->first_offset || (offset - slab->first_offset) % slab->object_size != 0) {
    fault = HeapFault::kUnknownPointer;  // header or interior pointer
    return false;
  }
  const std::size_t index = (offset - slab->first_offset) / slab->object_size;
  if (index >= slab->capacity) {
    fault = HeapFault::kUnknownPointer;
    return false;
  }
  if ((slab->allocated[index / 64] & (1ull << (index % 64))) == 0) {
    fault = HeapFault::kDoubleFree;
    return false;
  }
  if (size > slab->object_size || alignment > slab->object_size) {
    fault = HeapFault::kSizeMismatch;
    return false;
  }
  slab->allocated[index / 64] &= ~(1ull << (index % 64));
  auto* object = static_cast<std::uint64_t*>(p);
  object[0] = reinterpret_cast<std::uintptr_t>(slab->free_head);
  object[1] = kPoison;
  slab->free_head = object;
  --slab->in_use;
  --stats_.small_in_use;
  Slab*& partial = partial_[slab->class_index];
  if (!slab->on_partial) {
    slab->prev = nullptr;
    slab->next = partial;
    if (partial) partial->prev = slab;
    partial = slab;
    slab->on_partial = 1;
  }
  if (slab->in_use == 0) {
    // Empty: keep one per class for the next burst, give the rest back.
    if (slab->prev) slab->prev->next = slab->next;
    else partial = slab->next;
    if (slab->next) slab->next->prev = slab->prev;
    slab->on_partial = 0;
    slab->next = slab->prev = nullptr;
    Slab*& cached = empty_[slab->class_index];
    if (!cached) {
      cached = slab;
    } else {
      slab->magic = 0;  // a stale pointer into it must not pass as a slab later
      stats_.slab_pages -= kSlabSize / PageSource::kPageSize;
      pages_.free_pages(slab, kSlabSize / PageSource::kPageSize);
    }
  }
  return true;
}

void Heap::free(void* p, std::size_t size, std::size_t alignment) {
  if (!p) return;
  HeapFault fault = HeapFault::kUnknownPointer;
  bool ok = false;
  {
    IrqSpinGuard guard(lock_);
    const auto key = reinterpret_cast<std::uintptr_t>(p);
    if (LargeEntry* entry = find_large(key)) {
      if (size > entry->pages * PageSource::kPageSize ||
          (alignment != 0 && (key & (alignment - 1)) != 0)) {
        fault = HeapFault::kSizeMismatch;
      } else {
        const std::size_t pages = entry->pages;
        entry->key = kTombstone;
        entry->pages = 0;
        --large_used_;
        ++large_tombstones_;
        --stats_.large_in_use;
        stats_.large_pages -= pages;
        pages_.free_pages(p, pages);
        ok = true;
      }
    } else {
      ok = free_small(p, size, alignment, fault);
    }
    if (!ok) ++stats_.faults;
  }
  if (!ok) report(fault, p);
}

std::size_t Heap::usable_size(const void* p) {
  if (!p) return 0;
  IrqSpinGuard guard(lock_);
  if (LargeEntry* entry = find_large(reinterpret_cast<std::uintptr_t>(p))) {
    return entry->pages * PageSource::kPageSize;
  }
  Slab* slab = slab_of(p);
  if (!slab) return 0;
  const std::uintptr_t offset = reinterpret_cast<std::uintptr_t>(p) -
                                reinterpret_cast<std::uintptr_t>(slab);
  if (offset < slab->first_offset || (offset - slab->first_offset) % slab->object_size != 0) return 0;
  const std::size_t index = (offset - slab->first_offset) / slab->object_size;
  if (index >= slab->capacity || (slab->allocated[index / 64] & (1ull << (index % 64))) == 0) return 0;
  return slab->object_size;
}

HeapStats Heap::stats() {
  IrqSpinGuard guard(lock_);
  return stats_;
}

}  // namespace mm
