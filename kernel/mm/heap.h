// The kernel heap core: what operator new/delete sit on (kernel/mm/operator_new.cc).
//
// Small requests (up to kMaxSmall bytes, alignment up to kMaxSmall) come from slabs of
// power-of-two size classes 16..2048. Power-of-two classes waste up to half an object but make
// every alignment request trivial: a slab is kSlabSize-aligned and its objects start at a
// multiple of their size, so each object is naturally aligned to its size.
// Larger or more aligned requests take whole pages from the PageSource; a hash table keyed by
// the returned pointer remembers their size.
//
// Checks on free, reported through the fault hook (the kernel's hook panics): a pointer that is
// neither a live large block nor an object boundary in a slab with a valid header is foreign;
// a slab object whose allocation bit is already clear is a double free; a sized or aligned
// delete that does not match the block is a size mismatch; a freed object whose poison was
// overwritten before it was handed out again is a use-after-free write.
//
// Pure: pages come from a PageSource, so host tests run the same code. Thread safe: one
// IRQ-saving spinlock (lock order: heap lock, then the page source's locks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/mm/irq_spinlock.h"

namespace mm {

class PageSource {
 public:
  static constexpr std::size_t kPageSize = 4096;
  // `pages` contiguous writable pages aligned to `alignment` (a power of two >= kPageSize), or
  // nullptr when memory is exhausted.
  virtual void* alloc_pages(std::size_t pages, std::size_t alignment) = 0;
  // Gives back a block alloc_pages returned, whole.
  virtual void free_pages(void* block, std::size_t pages) = 0;
  // True when `p` lies in memory this source may hand out, so reading around it cannot fault.
  virtual bool contains(const void* p) const = 0;

 protected:
  ~PageSource() = default;
};

enum class HeapFault : std::uint8_t {
  kDoubleFree,       // a small object freed twice
  kUnknownPointer,   // not a live heap block: foreign, interior, or a large block freed before
  kSizeMismatch,     // sized/aligned delete does not match what was allocated
  kUseAfterFree,     // a free object's poison was overwritten
};

const char* describe(HeapFault fault);

// Called (without the heap lock held) for every detected fault; the operation is then skipped.
using HeapFaultHook = void (*)(HeapFault fault, const void* pointer);

struct HeapStats {
  std::uint64_t small_in_use;    // live small objects
  std::uint64_t large_in_use;    // live large blocks
  std::uint64_t slab_pages;      // pages held by slabs (in use or cached)
  std::uint64_t large_pages;     // pages held by large blocks
  std::uint64_t faults;          // faults reported so far
};

class Heap {
 public:
  static constexpr std::size_t kSlabSize = 16384;
  static constexpr std::size_t kMinSmall = 16;
  static constexpr std::size_t kMaxSmall = 2048;
  static constexpr std::size_t kClassCount = 8;  // 16, 32, ..., 2048

  Heap(PageSource& pages, HeapFaultHook hook) : pages_(pages), hook_(hook) {}
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // `size` bytes (0 counts as 1) aligned to `alignment` (a power of two; smaller than 16 means
  // 16). nullptr when memory is exhausted or the alignment is not a power of two.
  void* allocate(std::size_t size, std::size_t alignment = kMinSmall);

  // Frees `p` (nullptr is ignored). `size` and `alignment` are what the caller allocated with,
  // or 0 when unknown; when given they are checked.
  void free(void* p, std::size_t size = 0, std::size_t alignment = 0);

  // The bytes usable at `p` (its size class or its pages); 0 for a pointer that is not live.
  std::size_t usable_size(const void* p);

  HeapStats stats();

 private:
  struct Slab;
  struct LargeEntry {
    std::uintptr_t key;  // user pointer; kEmpty / kTombstone mark free slots
    std::size_t pages;
  };

  Slab* new_slab(std::size_t class_index);
  void* allocate_small(std::size_t class_index, HeapFault& fault, const void*& fault_at);
  void* allocate_large(std::size_t size, std::size_t alignment);
  bool free_small(void* p, std::size_t size, std::size_t alignment, HeapFault& fault);
  Slab* slab_of(const void* p) const;
  LargeEntry* find_large(std::uintptr_t key);
  bool insert_large(std::uintptr_t key, std::size_t pages);
  bool grow_large_table();
  void report(HeapFault fault, const void* p);

  PageSource& pages_;
  HeapFaultHook hook_;
  IrqSpinLock lock_;
  Slab* partial_[kClassCount] = {};  // slabs with at least one free object
  Slab* empty_[kClassCount] = {};    // one cached empty slab per class
  LargeEntry* large_ = nullptr;      // open-addressing table, large_capacity_ slots
  std::size_t large_capacity_ = 0;
  std::size_t large_used_ = 0;       // live entries
  std::size_t large_tombstones_ = 0;
  HeapStats stats_ = {};
};

}  // namespace mm
