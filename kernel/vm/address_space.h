// A user address space: one page-table tree whose upper half is the kernel's (shared by copying
// the kernel PML4's upper entries, mm::copy_kernel_half), the sorted tree of its memory regions
// (VMAs), the set of CPUs that may hold its translations, and one lock over both the regions
// and the page tables, so that a munmap or mprotect racing a page fault on another CPU never
// leaves them disagreeing (docs/user-space.md, "Address spaces").
//
// Memory is populated on first touch (handle_fault); frames are returned only after every CPU
// that may cache them has flushed (the shootdown of unmap/protect, the switch-away before
// destroy). Lock order: the address-space mutex, then the file-mappers, frame-share and frame
// allocator spinlocks; the shootdown runs under the mutex (a sleeping lock, so no spinning CPU
// misses its IPI).
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/mmu/page_tables.h"
#include "kernel/vm/file_mappers.h"
#include "sched/rbtree.h"
#include "sched/sync/mutex.h"
#include "smp/atomic.h"
#include "smp/calls/tlb_shootdown.h"
#include "smp/klib/result.h"

namespace kfiles {
class File;
}
namespace ramfs {
class Node;
}

namespace kvm {

inline constexpr std::uint64_t kPageSize = 4096;

// Access rights of a region, as PROT_READ, PROT_WRITE, PROT_EXEC.
inline constexpr std::uint32_t kProtRead = 1;
inline constexpr std::uint32_t kProtWrite = 2;
inline constexpr std::uint32_t kProtExec = 4;

// Kind of a region.
inline constexpr std::uint32_t kVmaShared = 1u << 0;  // MAP_SHARED: fork shares it writable
inline constexpr std::uint32_t kVmaStack = 1u << 1;   // the main thread's stack
inline constexpr std::uint32_t kVmaHeap = 1u << 2;    // the brk heap
// A MAP_SHARED file mapping of a descriptor not open for writing: mprotect may never add
// PROT_WRITE (EACCES, Linux's VM_MAYWRITE cleared).
inline constexpr std::uint32_t kVmaNoWrite = 1u << 3;
// mprotect may never add PROT_EXEC (EACCES, Linux's VM_MAYEXEC clear): the vvar page.
inline constexpr std::uint32_t kVmaNoExec = 1u << 4;

// The user range regions may occupy: page 0 stays unmapped (NULL faults), and the top page of
// the lower half too (SYSRET's limit, user_mode.h).
inline constexpr std::uint64_t kUserBottom = 0x10000;  // Linux's mmap_min_addr
inline constexpr std::uint64_t kUserEnd = 0x00007ffffffff000;
// Where the main stack ends and how big it may grow; mmap places regions top-down below it.
inline constexpr std::uint64_t kStackTop = 0x00007ffffffde000;
inline constexpr std::uint64_t kStackSize = 8ull << 20;  // RLIMIT_STACK's default
inline constexpr std::uint64_t kMmapTop = kStackTop - kStackSize - (1ull << 30);
// Regions per address space (Linux's vm.max_map_count).
inline constexpr std::uint32_t kMaxRegions = 65530;

// Pages the kernel owns and lends to user spaces (the vDSO's, the vvar page; Linux's
// vm_special_mapping). Their frames are never freed: a space maps one as one more mapper of it
// (frame_shares.h), the kernel being the first, so the page is always shared and a write (after
// mprotect added PROT_WRITE) gets a private copy.
struct SpecialPages {
  const char* name = nullptr;              // "[vdso]", "[vvar]" in /proc/PID/maps
  const std::uint64_t* frames = nullptr;   // physical address of each page
  std::uint64_t count = 0;
};

struct Vma {
  sched::RbNode node;  // first: found by cast
  std::uint64_t start = 0;  // page-aligned
  std::uint64_t end = 0;    // exclusive, page-aligned
  std::uint32_t prot = 0;
  std::uint32_t kind = 0;
  // File mappings: a reference to the open file (a regular file of the root file system) and
  // the file offset of `start` (page-aligned). Anonymous memory: null and 0.
  kfiles::File* file = nullptr;
  std::uint64_t offset = 0;
  // Kernel pages (then `offset` is the byte offset into them of `start`), or null.
  const SpecialPages* special = nullptr;
};

// The file behind a new mapping (mmap of a descriptor), or none (anonymous memory).
struct FileBacking {
  kfiles::File* file = nullptr;  // the mapping takes its own reference
  std::uint64_t offset = 0;      // page-aligned
};

// A populated page of a PROT_NONE range: x86 has no present-but-inaccessible entry the kernel
// cannot read too (a supervisor page is readable by the kernel despite SMAP), so such pages are
// taken out of the page tables and kept here, with their contents, until the range becomes
// accessible again (then the first touch maps the frame back).
struct ParkedPage {
  sched::RbNode node;  // first: found by cast
  std::uint64_t addr = 0;
  std::uint64_t phys = 0;
};

// What a page fault was (from the x86 error code).
struct FaultAccess {
  bool write = false;
  bool exec = false;    // instruction fetch
  bool present = false; // the page was mapped: a rights violation
};

// What a fault came to: the access can be retried, or the thread gets SIGSEGV (no region
// allows it, or memory ran out) or SIGBUS (a file mapping's page wholly past the end of file).
enum class FaultResult : std::uint8_t { kRetry, kSegv, kBus };

class AddressSpace final : public FileMapper {
 public:
  // A new, empty address space with one reference; null when memory ran out.
  static AddressSpace* create();

  void get();
  // A reference unless the last one is already gone (the space is ending): false then.
  bool try_get() override;
  // Drops a reference; the last one switches every CPU that still has this space loaded (a
  // lazy kernel thread) back to the kernel's tables and frees the frames and tables. Thread
  // context, no spinlock held.
  void put() override;

  // mmap of anonymous memory, or of `backing`'s file (its pages read from the file at first
  // touch: copied for a private mapping, the file's own pages for kVmaShared). `addr` is a
  // hint, or with `fixed` the exact place (then replacing what is there, or failing with
  // EEXIST when `noreplace`). Returns the address or a positive errno (EINVAL, ENOMEM,
  // EEXIST). The caller has checked the file: a regular file, open for the access asked.
  klib::Result<std::uint64_t, int> map(std::uint64_t addr, std::uint64_t length, std::uint32_t prot,
                                       std::uint32_t kind, bool fixed, bool noreplace,
                                       FileBacking backing = {});
  // Maps `pages` at exactly [addr, addr + pages.count pages) with `prot` and `kind` (kVmaNoWrite,
  // kVmaNoExec), populated on touch. EEXIST when the range is not free, EINVAL when it is not
  // page-aligned user memory, ENOMEM. `pages` must outlive every space (the kernel's own).
  int map_special(std::uint64_t addr, const SpecialPages& pages, std::uint32_t prot,
                  std::uint32_t kind);
  // munmap: errno or 0. Frames go back after the shootdown.
  int unmap(std::uint64_t addr, std::uint64_t length);
  // mprotect: errno or 0 (ENOMEM when part of the range is not mapped, EACCES when PROT_WRITE
  // is asked of a kVmaNoWrite region or PROT_EXEC of a kVmaNoExec one, as Linux).
  int protect(std::uint64_t addr, std::uint64_t length, std::uint32_t prot);
  // madvise(MADV_DONTNEED): private pages read as zero again; MAP_SHARED ones keep their
  // contents (Linux's shared memory object keeps them).
  int discard(std::uint64_t addr, std::uint64_t length);
  // The file behind `node` shrank to `size`: the pages of every region mapping it that lie
  // wholly past the end are unmapped (and shot down), private copies included, so their next
  // access gets SIGBUS as on Linux. Thread context, no spinlock or address-space mutex held.
  void drop_file_pages(const ramfs::Node* node, std::uint64_t size) override;
  // msync: 0 when [addr, addr + length) is mapped (a shared file mapping's pages are the file's
  // own: nothing to write back), ENOMEM when part of it is not.
  int sync(std::uint64_t addr, std::uint64_t length);
  // brk: sets the break (0: query) and returns the break in effect afterwards.
  std::uint64_t brk(std::uint64_t new_break);
  // Where the heap starts (set once, by the loader, right after the image).
  void set_heap_start(std::uint64_t start);

  // fork: a new space with the same regions and heap. Pages of private writable regions are
  // shared read-only by both (copied by the first write of either, make_writable), read-only
  // pages shared as they are, MAP_SHARED pages shared writable, PROT_NONE-parked pages parked
  // in both; the parent's read-only entries are shot down on every CPU of this space before
  // this returns. ENOMEM (everything of the copy released) when memory or the frame share
  // table ran out. Thread context, no spinlock held.
  klib::Result<AddressSpace*, int> fork();

  // A fault at `addr` by a thread of this space: populates the page when a region allows the
  // access (for a file mapping: takes the file's node lock inside this space's lock).
  // Thread context, interrupts enabled.
  FaultResult handle_fault(std::uint64_t addr, FaultAccess access);

  // Kernel-side writes into this space (the loader): copies `size` bytes to `addr`, populating
  // pages of a region as needed, through the direct map (no user access, no SMAP window).
  // False when part of the range is outside every region or memory ran out.
  bool write(std::uint64_t addr, const void* data, std::uint64_t size);

  // Calls fn(const Vma&) for every region in address order, under the lock (/proc/PID/maps).
  // `fn` must not touch this space.
  template <typename Fn>
  void for_each_region(Fn&& fn) {
    sched::MutexGuard guard(lock_);
    for (sched::RbNode* n = vmas_.first(); n != nullptr; n = VmaTree::next(n)) {
      fn(*reinterpret_cast<const Vma*>(n));
    }
  }

  // The key of the 32-bit word at `uaddr` for a futex without FUTEX_PRIVATE_FLAG: in a
  // MAP_SHARED region, the physical address of the word (its page populated first), which every
  // space mapping that page agrees on; elsewhere false (the caller keys by space and address).
  // ENOMEM/EFAULT-type failures also give false: the private key then names the word.
  bool shared_futex_key(std::uint64_t uaddr, std::uint64_t* key);

  std::uint64_t pml4_phys() const { return tables_.pml4_phys(); }
  smp::TlbCpuSet& cpus() { return cpus_; }
  // Frames of user pages currently mapped (for the leak checks of tests).
  std::uint64_t resident_pages() const { return resident_.load(std::memory_order_relaxed); }

  // Makes this CPU run on `next`'s tables (nullptr: keep whatever is loaded: a kernel thread
  // borrows it). Interrupts off (the scheduler's switch).
  static void switch_to(AddressSpace* next);
  // The space loaded on this CPU (nullptr: the kernel's own tables). Interrupts off.
  static AddressSpace* loaded();

 private:
  struct VmaOrder {
    static bool less(const sched::RbNode& a, const sched::RbNode& b);
    static bool update(sched::RbNode&) { return false; }
  };
  using VmaTree = sched::RbTree<VmaOrder>;
  struct ParkedOrder {
    static bool less(const sched::RbNode& a, const sched::RbNode& b);
    static bool update(sched::RbNode&) { return false; }
  };
  using ParkedTree = sched::RbTree<ParkedOrder>;

  AddressSpace(std::uint64_t pml4);
  ~AddressSpace() = default;
  void destroy();

  Vma* find(std::uint64_t addr);              // the region containing addr, or null
  Vma* first_ending_after(std::uint64_t addr);
  bool range_free(std::uint64_t start, std::uint64_t end);
  bool covered(std::uint64_t start, std::uint64_t end);  // no hole: every page in a region
  std::uint64_t find_gap(std::uint64_t length, std::uint64_t hint);
  bool split(std::uint64_t at);               // false: out of memory
  int remove_range(std::uint64_t start, std::uint64_t end);  // regions and pages
  void release_pages(std::uint64_t start, std::uint64_t end);  // pages only, after a shootdown
  // Maps `page` of region `v` (already mapped: its frame): a parked page back, a file's page,
  // or a zeroed frame. *phys: the frame.
  FaultResult populate(std::uint64_t page, const Vma& v, std::uint64_t* phys);
  FaultResult populate_file(std::uint64_t page, const Vma& v, std::uint64_t* phys);
  FaultResult populate_special(std::uint64_t page, const Vma& v, std::uint64_t* phys);
  // Makes sure `page` of an anonymous MAP_SHARED region has a frame (mapped, or parked under
  // PROT_NONE).
  bool populate_shared(std::uint64_t page, const Vma& v);
  // A file region's start in this space: its reference to the file taken and the space noted
  // as a mapper of it (file_mappers.h). False (nothing taken) when memory ran out.
  bool adopt_file(Vma& v, kfiles::File* file);
  // A region's end: its file reference and mapper record dropped, then the record freed.
  void free_vma(Vma* v);
  // A write to `page` (mapped read-only to frame `old` in region `v`, which allows writes):
  // copy-on-write. The frame goes on being used when no other space shares it, else the page
  // gets a copy. Sets *phys to the frame mapped writable now; false when memory ran out.
  bool make_writable(std::uint64_t page, const Vma& v, std::uint64_t old, std::uint64_t* phys);
  void shootdown(std::uint64_t start, std::uint64_t end);
  ParkedPage* find_parked(std::uint64_t page);
  ParkedPage* first_parked_from(std::uint64_t addr);
  int park_range(std::uint64_t start, std::uint64_t end);    // PROT_NONE: out of the tables
  void free_parked(std::uint64_t start, std::uint64_t end);  // their frames back

  sched::Mutex lock_;
  VmaTree vmas_;                      // lock_
  ParkedTree parked_;                 // lock_
  paging::PageTables tables_;         // lock_
  std::uint64_t heap_start_ = 0;      // lock_
  std::uint64_t heap_end_ = 0;        // lock_
  smp::TlbCpuSet cpus_;
  smp::Atomic<std::uint32_t> refs_{1};
  smp::Atomic<std::uint64_t> resident_{0};
};

// User pages mapped in all address spaces (leak checks).
std::uint64_t total_resident_pages();

}  // namespace kvm
