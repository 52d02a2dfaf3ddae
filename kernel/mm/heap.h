// The kernel heap core: what operator new/delete sit on (kernel/mm/operator_new.cc).
//
// Small requests (up to kMaxSmall bytes, alignment up to kMaxSmall) come from slabs of
// power-of-two size classes 16..2048. Power-of-two classes waste up to half an object but make
// every alignment request trivial: a slab is kSlabSize-aligned and its objects start at a
// multiple of their size, so each object is naturally aligned to its size.
// Larger or more aligned requests take whole pages from the PageSource; a hash table keyed by
// the returned pointer remembers their size.
//
// Three layers for small objects (Bonwick and Adams, "Magazines and Vmem", 2001; the design and
// its costs in docs/memory-layout.md "Heap"):
//   - per CPU and class, two magazines (`loaded` and `previous`, stacks of free objects) that
//     only their own CPU touches, with interrupts off and no lock: the fast path is a few loads
//     and stores. Another CPU never reaches into them; a drain asks the owner to flush (a flag
//     the owner reads on its next heap call, and the remote-flush hook, which the kernel runs
//     as a cross-CPU call);
//   - per class, a depot of full and empty magazines and the slabs, under the class lock;
//   - the page source.
// A free goes into the freeing CPU's magazine, whichever CPU allocated the object.
//
// Checks on free, reported through the fault hook (the kernel's hook panics): a pointer that is
// neither a live large block nor an object boundary in a slab with a valid header is foreign;
// a small object freed while it is free (in a magazine or a slab) is a double free; a sized or
// aligned delete that does not match the block is a size mismatch; a freed object whose two
// free markers were overwritten before it was handed out again (or went back to its slab) is a
// use-after-free write.
//
// Pure: pages come from a PageSource, so host tests run the same code; host threads play CPUs
// through the platform seam (platform::current_cpu). Thread and interrupt safe: every lock is
// IRQ-saving, and the per-CPU caches are used with interrupts off. One execution context per
// CPU number at a time: true of the machine; host threads must each bind a CPU of their own
// (two threads playing one CPU at once would share its cache unguarded). Lock order: class
// lock, magazine class lock, page source locks; the large-block lock, then page source locks
// (docs/locking.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "kernel/mm/irq_spinlock.h"
#include "smp/cpu_set.h"

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

// Called (without any heap lock held) for every detected fault; the operation is then skipped.
using HeapFaultHook = void (*)(HeapFault fault, const void* pointer);

// A snapshot; exact when no other CPU uses the heap meanwhile.
struct HeapStats {
  std::uint64_t small_in_use;    // live small objects (handed out, not freed)
  std::uint64_t large_in_use;    // live large blocks
  std::uint64_t slab_pages;      // pages held by slabs (in use, cached, or holding magazines)
  std::uint64_t large_pages;     // pages held by large blocks
  std::uint64_t faults;          // faults reported so far
  std::uint64_t cached_objects;  // free small objects held in magazines (per CPU and depot)
  std::uint64_t magazines;       // magazines allocated (each one object of the magazine class)
  std::uint64_t drains;          // drain() calls, low-memory ones included
  std::uint64_t table_pages;     // pages of the large-block table (kept; never shrinks)
};

class Heap {
 public:
  static constexpr std::size_t kSlabSize = 16384;
  static constexpr std::size_t kMinSmall = 16;
  static constexpr std::size_t kMaxSmall = 2048;
  static constexpr std::size_t kClassCount = 8;  // 16, 32, ..., 2048
  // CPU caches, one per CPU number below smp::kMaxCpus (the platform has no CPU beyond).
  static constexpr std::uint32_t kCpuSlots = smp::kMaxCpus;
  // 16 KiB regions the heap remembers as the page source's (known_): direct-mapped by region
  // number, so any 64 MiB window of the page source's memory fits without two regions
  // evicting each other (32 KiB of table).
  static constexpr std::size_t kKnownRegions = 4096;

  Heap(PageSource& pages, HeapFaultHook hook);
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // `size` bytes (0 counts as 1) aligned to `alignment` (a power of two; smaller than 16 means
  // 16). nullptr when memory is exhausted (after draining every cache once) or the alignment is
  // not a power of two. Any context, interrupt handlers included.
  void* allocate(std::size_t size, std::size_t alignment = kMinSmall);

  // Frees `p` (nullptr is ignored). `size` and `alignment` are what the caller allocated with,
  // or 0 when unknown; when given they are checked. Any CPU may free any block.
  void free(void* p, std::size_t size = 0, std::size_t alignment = 0);

  // The bytes usable at `p` (its size class or its pages); 0 for a pointer that is not live.
  std::size_t usable_size(const void* p);

  HeapStats stats();

  // Returns every cached free object to its slab, frees the magazines, and gives every empty
  // slab back to the page source: this CPU's magazines and the depots at once; every other
  // CPU's through the remote-flush hook (when set: afterwards, or as soon as the hook's calls
  // run) and, in any case, at that CPU's next heap call. With a synchronous hook the heap then
  // holds only pages with live objects (and the large table). Takes the class locks; never
  // called with a heap lock held. allocate() calls it when the page source runs dry; the kernel
  // may call it when memory runs low elsewhere.
  void drain();

  // Returns this CPU's magazines and their objects to the slabs (what drain() asks of every
  // other CPU). Any context but inside the heap itself; takes the class locks.
  void flush_this_cpu();

  // Runs heap.flush_this_cpu() on every CPU but the caller's (kernel: a cross-CPU call; host
  // tests: a thread bound to each CPU they use). Called by drain() with no heap lock held, from
  // any context drain() is called in; may return before the flushes ran.
  using RemoteFlush = void (*)(Heap& heap, void* context);
  // Installs `hook` (nullptr: none; then other CPUs flush only at their next heap call). Set
  // once, before other CPUs use the heap, or while none calls drain().
  void set_remote_flush(RemoteFlush hook, void* context);

 private:
  struct Slab;
  struct Magazine;
  // One size class's shared layer: its depot and its slabs.
  struct alignas(64) SlabClass {
    IrqSpinLock lock;
    std::uint32_t rounds = 0;          // objects a magazine of this class holds
    std::uint32_t full_count = 0;      // magazines on `full`
    std::uint32_t empty_count = 0;     // magazines on `empties`
    Magazine* full = nullptr;          // depot: full magazines
    Magazine* empties = nullptr;       // depot: empty magazines
    Slab* partial = nullptr;           // slabs with at least one free object
    Slab* empty = nullptr;             // one cached empty slab
    // Objects taken out of this class's slabs (in magazines or handed out). Written under
    // `lock`, read by stats() without it.
    std::atomic<std::uint64_t> out{0};
  };
  // One CPU's magazines: touched only by that CPU, with interrupts off (an interrupt handler
  // on it that allocates waits for the interrupted heap call to end). Others only set
  // `flush_requested`.
  struct alignas(64) CpuCache {
    // Set by drain() on another CPU; the owner flushes its magazines at its next heap call.
    std::atomic<bool> flush_requested{false};
    Magazine* loaded[kClassCount] = {};
    Magazine* previous[kClassCount] = {};
    // Small objects allocated minus freed through this cache (negative when this CPU frees
    // more than it allocates). Written by the owner only, read by stats() from any CPU.
    std::atomic<std::int64_t> handed_out{0};
  };
  struct LargeEntry {
    std::uintptr_t key;  // user pointer; kEmpty / kTombstone mark free slots
    std::size_t pages;
  };
  // Index of the magazines' own slab class (after the user classes).
  static constexpr std::size_t kMagazineClass = kClassCount;

  // Front end (heap.cc). allocate() and free() first try the common case, cache_pop and
  // cache_push, which make no call (so the compiler gives them no stack frame) and give up,
  // having changed nothing, on anything else; allocate_slow and free_slow then do the whole
  // operation from the start.
  // An object of the class from this CPU's loaded magazine, its markers not yet checked;
  // nullptr when a flush is requested or the magazine is absent or empty.
  void* cache_pop(std::size_t class_index);
  // Pushes `p` onto this CPU's loaded magazine and marks it free, when `p` is an object of a
  // slab in known_, passes free's checks and has no free marker, and the magazine has room;
  // false (nothing done) otherwise.
  bool cache_push(void* p, std::size_t size, std::size_t alignment);
  // Checks and clears the free markers of `object`, just taken from a magazine.
  void* hand_out(void* object);
  // hand_out's report of an object written after it was freed; returns `object`.
  void* handed_out_after_write(void* object);
  void* allocate_slow(std::size_t size, std::size_t alignment);
  void free_slow(void* p, std::size_t size, std::size_t alignment);
  void* try_allocate(std::size_t size, std::size_t alignment);
  void* cache_allocate(std::size_t class_index);
  enum class FreeResult : std::uint8_t { kFreed, kFault, kNotSmall };
  // Frees the small object `p` into this CPU's magazines after the checks; kNotSmall when `p`
  // is no object of a user class (the caller tries the large blocks), kFault with `fault` set.
  FreeResult cache_free(void* p, std::size_t size, std::size_t alignment, HeapFault& fault);
  // True when the kSlabSize-aligned region at `base` is the page source's memory, so reading
  // its first bytes cannot fault: from known_, asking the page source only on a miss.
  bool page_source_region(std::uintptr_t base) const;
  // True when `base` is in known_ (page_source_region without asking the page source).
  bool known_region(std::uintptr_t base) const;
  // The current CPU's cache; interrupts must be off (they pin the CPU).
  CpuCache& this_cpu_cache();
  // Empties `cache` (the current CPU's, interrupts off): its magazines' objects go back to
  // their slabs and the magazines are freed. Takes the class locks.
  void flush_cache(CpuCache& cache);

  // Depot (heap_depot.cc). refill_and_pop and exchange_full run on the cache's own CPU with
  // interrupts off and take the class lock; the others need the class lock held
  // (release_magazine takes the magazine class lock).
  // An object for `cache`, whose magazines of the class are both empty or absent: a full
  // magazine from the depot, or one filled from the slabs. nullptr when out of pages.
  void* refill_and_pop(CpuCache& cache, std::size_t class_index);
  // Makes room in `cache`'s loaded magazine (full or absent, previous full or absent): the
  // full one goes to previous and the old previous to the depot (or back to the slabs when
  // the depot is full), and an empty magazine is loaded. Loaded stays null without memory.
  void exchange_full(CpuCache& cache, std::size_t class_index);
  Magazine* take_empty_magazine(SlabClass& cls);
  void release_magazine(Magazine* magazine);
  // Returns every object of `magazine` to its slab; the magazine is left empty.
  void flush_magazine(Magazine* magazine, std::size_t class_index);

  // Slab layer (heap_slab.cc): called with the class lock held, but for the lookups
  // (slab_of, small_slab_of, inline in heap_layout.h: no lock) and confirm_double_free (takes
  // it).
  Slab* new_slab(std::size_t class_index);
  // One object out of the class's slabs (a new slab when none has room); nullptr when out of
  // pages. Its free markers are left as the slab had them.
  void* slab_take(std::size_t class_index);
  // `object` back to `slab`; empty slabs beyond one cached per class go to the page source.
  void slab_return(void* object, Slab* slab);
  void release_empty_slabs(std::size_t class_index);
  // The slab whose header precedes `p`, if its header is valid.
  Slab* slab_of(const void* p) const;
  // The slab of a user class of which `p` is an object boundary; nullptr otherwise.
  Slab* small_slab_of(const void* p) const;
  // small_slab_of when the region is in known_; nullptr also when it is not (no lock, no call).
  Slab* small_slab_if_known(const void* p) const;
  // small_slab_of's checks on a header the caller knows is safe to read.
  Slab* checked_small_slab(Slab* slab, const void* p) const;
  // True when the object `p` of `slab` (second word kPoison) is free: in its slab or a magazine.
  bool confirm_double_free(void* p, Slab* slab);

  // Large blocks (heap_large.cc), under large_lock_.
  void* allocate_large(std::size_t size, std::size_t alignment);
  // Frees the large block `p`: false when it is not one; `mismatch` set when the size or
  // alignment given does not fit it (then it stays allocated).
  bool free_large(void* p, std::size_t size, std::size_t alignment, bool& mismatch);
  LargeEntry* find_large(std::uintptr_t key);
  bool insert_large(std::uintptr_t key, std::size_t pages);
  bool grow_large_table();

  void report(HeapFault fault, const void* p);
  // A fault found on a slow path with locks held: counted now, reported by the next
  // report_late_fault() once the locks are dropped (one is kept; a later one is counted only).
  void note_late_fault(HeapFault fault, const void* p);
  void report_late_fault();

  PageSource& pages_;
  HeapFaultHook hook_;
  std::atomic<std::uint32_t> cpu_slots_used_{0};  // 1 + the highest slot ever touched
  RemoteFlush remote_flush_ = nullptr;
  void* remote_flush_context_ = nullptr;
  // On a line of its own: cpu_slots_used_ and pages_ above are read on every call, and a large
  // allocation on one CPU writes this lock.
  alignas(64) IrqSpinLock large_lock_;
  LargeEntry* large_ = nullptr;      // open-addressing table, large_capacity_ slots
  std::size_t large_capacity_ = 0;
  std::size_t large_used_ = 0;       // live entries
  std::size_t large_tombstones_ = 0;
  std::uint64_t large_in_use_ = 0;
  std::uint64_t large_pages_ = 0;
  std::uint64_t large_table_pages_ = 0;
  // Counters summed by stats(); relaxed: each is a count, not a guard for other data.
  std::atomic<std::uint64_t> slab_pages_{0};
  std::atomic<std::uint64_t> faults_{0};
  std::atomic<std::uint64_t> magazines_{0};
  std::atomic<std::uint64_t> drains_{0};
  std::atomic<std::uintptr_t> late_fault_{0};  // pointer | HeapFault (objects are 16-aligned)
  SlabClass classes_[kClassCount + 1];  // the user classes, then the magazine class
  // 16 KiB regions already seen to be the page source's memory (its memory stays its own, so an
  // entry never goes stale), so a free reads a slab header without asking the page source,
  // whose check takes the frame allocator's lock. Shared by every CPU and written only on a
  // miss: a read-mostly table that each CPU keeps in its cache. It was per CPU and 8 entries
  // deep, which a CPU freeing objects of more than a few slabs overflowed: every free then
  // took the frame allocator's lock, and two CPUs doing so ran slower than one (issue 14).
  // Relaxed: an entry is the whole message (the header read after it checks the magic).
  alignas(64) mutable std::atomic<std::uintptr_t> known_[kKnownRegions] = {};
  CpuCache cpus_[kCpuSlots];
};

}  // namespace mm
