// The heap's large blocks: whole pages from the page source, their sizes in an open-addressing
// hash table keyed by the block's address, all under the large-block lock.
#include "kernel/mm/heap.h"

#include "kernel/mm/heap_layout.h"

namespace mm {

using namespace heap_detail;

namespace {

std::size_t hash(std::uintptr_t key, std::size_t capacity) {
  // Keys are page aligned: drop the zero bits, then a multiplicative hash (capacity is 2^n).
  return static_cast<std::size_t>(((key >> 12) * 0x9e3779b97f4a7c15ull) >> 20) & (capacity - 1);
}

std::size_t table_pages(std::size_t capacity, std::size_t entry_size) {
  return align_up(capacity * entry_size, PageSource::kPageSize) / PageSource::kPageSize;
}

}  // namespace

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
  // Double when live entries fill a quarter; otherwise tombstones made it look full, and a
  // rehash at the same size clears them (the table does not grow with churn alone).
  std::size_t capacity = large_capacity_ == 0 ? 256 : large_capacity_;
  if ((large_used_ + 1) * 4 > capacity) capacity *= 2;
  auto* table = static_cast<LargeEntry*>(
      pages_.alloc_pages(table_pages(capacity, sizeof(LargeEntry)), PageSource::kPageSize));
  if (!table) return false;
  for (std::size_t i = 0; i < capacity; ++i) table[i] = LargeEntry{kEmpty, 0};
  for (std::size_t i = 0; i < large_capacity_; ++i) {
    if (large_[i].key == kEmpty || large_[i].key == kTombstone) continue;
    std::size_t j = hash(large_[i].key, capacity);
    while (table[j].key != kEmpty) j = (j + 1) & (capacity - 1);
    table[j] = large_[i];
  }
  if (large_) pages_.free_pages(large_, table_pages(large_capacity_, sizeof(LargeEntry)));
  large_ = table;
  large_capacity_ = capacity;
  large_table_pages_ = table_pages(capacity, sizeof(LargeEntry));
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
  const std::size_t pages = align_up(size, PageSource::kPageSize) / PageSource::kPageSize;
  const std::size_t align = alignment < PageSource::kPageSize ? PageSource::kPageSize : alignment;
  void* block = pages_.alloc_pages(pages, align);
  if (!block) return nullptr;
  if (!insert_large(reinterpret_cast<std::uintptr_t>(block), pages)) {
    pages_.free_pages(block, pages);
    return nullptr;
  }
  ++large_in_use_;
  large_pages_ += pages;
  return block;
}

bool Heap::free_large(void* p, std::size_t size, std::size_t alignment, bool& mismatch) {
  const auto key = reinterpret_cast<std::uintptr_t>(p);
  LargeEntry* entry = find_large(key);
  if (entry == nullptr) return false;
  if (size > entry->pages * PageSource::kPageSize ||
      (alignment != 0 && (key & (alignment - 1)) != 0)) {
    mismatch = true;
    return false;
  }
  const std::size_t pages = entry->pages;
  entry->key = kTombstone;
  entry->pages = 0;
  --large_used_;
  ++large_tombstones_;
  --large_in_use_;
  large_pages_ -= pages;
  pages_.free_pages(p, pages);
  return true;
}

}  // namespace mm
