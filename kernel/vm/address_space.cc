#include "kernel/vm/address_space.h"

#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/mmu/mmu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/ipi/tlb_shootdown.h"
#include "kernel/files/file.h"
#include "kernel/fs/ramfs/node.h"
#include "kernel/mm/kernel_space.h"
#include "kernel/mm/mm.h"
#include "kernel/vm/file_mappers.h"
#include "kernel/vm/frame_shares.h"
#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/user_mode.h"

namespace kvm {
namespace {

// Linux's errno values (the system-call layer returns them negated).
using namespace kabi;

// Page-table frames of user address spaces: from the frame allocator, zeroed, reached through
// the direct map.
class UserTableFrames final : public paging::FrameSource {
 public:
  std::uint64_t alloc_table_frame() override {
    auto frame = mm::alloc_cleared_frames(1);
    return frame ? frame.value() : 0;
  }
  void* table_pointer(std::uint64_t phys) override { return mm::phys_to_virt(phys); }
  void free_table_frame(std::uint64_t phys) override { free_frame(phys); }

  static void free_frame(std::uint64_t phys) {
    auto freed = mm::free_frames(phys, 1);
    if (!freed) panic("vm: freeing frame {:#x}: {}", phys, mm::describe(freed.error()));
  }
};

// A space stops mapping the user frame at `phys` (after its shootdown): the frame goes back
// when that space was its last mapper (frame_shares.h).
void drop_user_frame(std::uint64_t phys) {
  if (release_frame(phys)) UserTableFrames::free_frame(phys);
}
UserTableFrames g_table_frames;

std::atomic<std::uint64_t> g_total_resident{0};

// The space each CPU has in CR3 (nullptr: the kernel's tables). Written only by that CPU with
// interrupts off (switch_to, the destroy call).
AddressSpace* g_loaded[smp::kMaxCpus];

constexpr std::uint64_t page_down(std::uint64_t v) { return v & ~(kPageSize - 1); }
constexpr std::uint64_t page_up(std::uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

paging::PageFlags flags_for(std::uint32_t prot) {
  // x86 cannot map a page write-only or execute-only: any right implies read.
  return paging::PageFlags{.writable = (prot & kProtWrite) != 0,
                           .executable = (prot & kProtExec) != 0,
                           .user = true};
}

Vma* vma_of(sched::RbNode* n) { return reinterpret_cast<Vma*>(n); }

// The first page at or after `from` (below `end`) that a page table covers: skips every span
// whose entry is absent at an upper level, by reading the tables under `pml4` (the caller holds
// the space's lock). So a fork walks the populated tables of a large, mostly untouched region,
// not each of its pages. User pages are 4 KiB: no large entries below the user top.
std::uint64_t skip_unmapped(std::uint64_t pml4, std::uint64_t from, std::uint64_t end) {
  constexpr std::uint64_t kIndexMask = 511;  // 512 entries per table
  while (from < end) {
    const std::uint64_t* table = mm::phys_to<std::uint64_t>(pml4);
    int level = 4;
    for (; level > 1; --level) {
      const int shift = 12 + 9 * (level - 1);
      const std::uint64_t entry = table[(from >> shift) & kIndexMask];
      if ((entry & paging::pte::kPresent) == 0) break;
      if ((entry & paging::pte::kLargePage) != 0) return from;
      table = mm::phys_to<std::uint64_t>(entry & paging::pte::kAddress4K);
    }
    if (level == 1) return from;
    const std::uint64_t span = 1ull << (12 + 9 * (level - 1));
    from = (from & ~(span - 1)) + span;
  }
  return end;
}

// Pages freed by an unmap wait here until the shootdown has reached every CPU; then they go.
// Bounded: a larger range is unmapped in several rounds.
struct PendingFrames {
  static constexpr std::uint32_t kCapacity = 256;
  std::uint64_t phys[kCapacity];
  std::uint32_t count = 0;
};

}  // namespace

bool AddressSpace::VmaOrder::less(const sched::RbNode& a, const sched::RbNode& b) {
  return reinterpret_cast<const Vma&>(a).start < reinterpret_cast<const Vma&>(b).start;
}

bool AddressSpace::ParkedOrder::less(const sched::RbNode& a, const sched::RbNode& b) {
  return reinterpret_cast<const ParkedPage&>(a).addr < reinterpret_cast<const ParkedPage&>(b).addr;
}

AddressSpace::AddressSpace(std::uint64_t pml4) : tables_(g_table_frames, pml4) {}

bool AddressSpace::adopt_file(Vma& v, kfiles::File* file) {
  v.file = nullptr;
  if (file == nullptr) return true;
  if (!note_file_mapping(file->node(), this)) return false;
  file->get();
  v.file = file;
  return true;
}

void AddressSpace::free_vma(Vma* v) {
  if (v->file != nullptr) {
    forget_file_mapping(v->file->node(), this);
    v->file->put();
  }
  delete v;
}

AddressSpace* AddressSpace::create() {
  const std::uint64_t pml4 = g_table_frames.alloc_table_frame();
  if (pml4 == 0) return nullptr;
  mm::copy_kernel_half(mm::phys_to<std::uint64_t>(pml4));
  auto* space = new (std::nothrow) AddressSpace(pml4);
  if (space == nullptr) UserTableFrames::free_frame(pml4);
  return space;
}

void AddressSpace::get() { refs_.fetch_add(1, std::memory_order_relaxed); }

bool AddressSpace::try_get() {
  std::uint32_t refs = refs_.load(std::memory_order_relaxed);
  do {
    if (refs == 0) return false;  // destroy() runs or ran: never revive it
  } while (!refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed));
  return true;
}

void AddressSpace::put() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
}

void AddressSpace::destroy() {
  // No thread of ours runs any more; CPUs that last ran one may still have our tables loaded
  // (their kernel threads borrow them). Each such CPU switches to the kernel's tables in a
  // synchronous call, so none can walk our tables once it returns. The call runs with
  // interrupts off, as switch_to does: the two cannot interleave on one CPU.
  const smp::CpuSet holders = cpus_.snapshot();
  if (!holders.empty()) {
    smp::CallArgs args;
    args.ptr = this;
    const bool ok = kcpus::call_on_cpus(
        holders,
        [](const smp::CallArgs& a) {
          const std::uint32_t cpu = arch::current_cpu_index();
          if (g_loaded[cpu] == a.ptr) {
            mm::arch::write_cr3(mm::kernel_pml4());
            g_loaded[cpu] = nullptr;
            static_cast<AddressSpace*>(a.ptr)->cpus_.remove(platform::CpuNumber{cpu});
          }
        },
        args, smp::CallMode::kSync);
    // A CPU that did not answer may still walk these tables: leaking them is the safe choice.
    if (!ok) {
      klog::error("vm: an address space's tables stay allocated: a CPU did not switch away");
      return;
    }
  }
  struct Release {
    static void frame(std::uint64_t phys, std::uint64_t, void* self) {
      static_cast<AddressSpace*>(self)->resident_.fetch_sub(1, std::memory_order_relaxed);
      g_total_resident.fetch_sub(1, std::memory_order_relaxed);
      drop_user_frame(phys);
    }
  };
  (void)tables_.unmap_release(0, arch::kUserTop, &Release::frame, this);
  free_parked(0, arch::kUserTop);
  UserTableFrames::free_frame(tables_.pml4_phys());
  while (!vmas_.empty()) {
    Vma* v = vma_of(vmas_.first());
    vmas_.erase(v->node);
    free_vma(v);
  }
  delete this;
}

Vma* AddressSpace::find(std::uint64_t addr) {
  // The last region starting at or below addr, if it reaches past addr.
  sched::RbNode* n = vmas_.root();
  Vma* best = nullptr;
  while (n != nullptr) {
    Vma* v = vma_of(n);
    if (v->start <= addr) {
      best = v;
      n = n->right;
    } else {
      n = n->left;
    }
  }
  return best != nullptr && addr < best->end ? best : nullptr;
}

Vma* AddressSpace::first_ending_after(std::uint64_t addr) {
  sched::RbNode* n = vmas_.root();
  Vma* best = nullptr;
  while (n != nullptr) {
    Vma* v = vma_of(n);
    if (v->end > addr) {
      best = v;
      n = n->left;
    } else {
      n = n->right;
    }
  }
  return best;
}

bool AddressSpace::range_free(std::uint64_t start, std::uint64_t end) {
  Vma* v = first_ending_after(start);
  return v == nullptr || v->start >= end;
}

std::uint64_t AddressSpace::find_gap(std::uint64_t length, std::uint64_t hint) {
  if (hint != 0) {
    hint = page_down(hint);
    if (hint >= kUserBottom && hint <= kUserEnd - length && range_free(hint, hint + length)) {
      return hint;
    }
  }
  // Top-down from kMmapTop, as Linux's default layout: walk the regions from the highest.
  std::uint64_t ceiling = kMmapTop;
  for (sched::RbNode* n = vmas_.last(); n != nullptr; n = VmaTree::prev(n)) {
    Vma* v = vma_of(n);
    if (v->start >= ceiling) continue;
    if (v->end <= ceiling && ceiling - v->end >= length) return ceiling - length;
    if (v->start < ceiling) ceiling = v->start;
  }
  return ceiling - kUserBottom >= length && ceiling >= length ? ceiling - length : 0;
}

bool AddressSpace::split(std::uint64_t at) {
  Vma* v = find(at);
  if (v == nullptr || v->start == at) return true;
  if (vmas_.size() >= kMaxRegions) return false;
  auto* upper = new (std::nothrow) Vma;
  if (upper == nullptr) return false;
  upper->start = at;
  upper->end = v->end;
  upper->prot = v->prot;
  upper->kind = v->kind;
  upper->offset = v->offset + (at - v->start);
  upper->special = v->special;
  if (!adopt_file(*upper, v->file)) {
    delete upper;
    return false;
  }
  v->end = at;  // the tree is ordered by start, which did not change
  vmas_.insert(upper->node);
  return true;
}

void AddressSpace::shootdown(std::uint64_t start, std::uint64_t end) {
  // The page-table change must be visible before the CPU set is read: a CPU that joins the set
  // after our read loads CR3 after our change and walks the new tables (a full fence here, a
  // locked RMW on its side: one of the two sees the other).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  smp::FlushRange range{start, end - start, false};
  if (!kcpus::tlb_shootdown(cpus_, range)) {
    panic("vm: TLB shootdown of [{:#x}, {:#x}) did not complete", start, end);
  }
}

ParkedPage* AddressSpace::first_parked_from(std::uint64_t addr) {
  sched::RbNode* n = parked_.root();
  ParkedPage* best = nullptr;
  while (n != nullptr) {
    auto* p = reinterpret_cast<ParkedPage*>(n);
    if (p->addr >= addr) {
      best = p;
      n = n->left;
    } else {
      n = n->right;
    }
  }
  return best;
}

ParkedPage* AddressSpace::find_parked(std::uint64_t page) {
  ParkedPage* p = parked_.empty() ? nullptr : first_parked_from(page);
  return p != nullptr && p->addr == page ? p : nullptr;
}

void AddressSpace::free_parked(std::uint64_t start, std::uint64_t end) {
  if (parked_.empty()) return;
  for (ParkedPage* p = first_parked_from(start); p != nullptr && p->addr < end;) {
    auto* next = reinterpret_cast<ParkedPage*>(ParkedTree::next(&p->node));
    parked_.erase(p->node);
    drop_user_frame(p->phys);
    resident_.fetch_sub(1, std::memory_order_relaxed);
    g_total_resident.fetch_sub(1, std::memory_order_relaxed);
    delete p;
    p = next;
  }
}

int AddressSpace::park_range(std::uint64_t start, std::uint64_t end) {
  for (std::uint64_t page = tables_.next_mapped(start, end); page < end;
       page = tables_.next_mapped(page + kPageSize, end)) {
    auto t = tables_.translate(page);
    if (!t) continue;
    auto* parked = new (std::nothrow) ParkedPage;
    if (parked == nullptr) return kENOMEM;  // pages parked so far stay parked: still correct
    parked->addr = page;
    parked->phys = t.value().phys & ~(kPageSize - 1);
    (void)tables_.unmap(page, kPageSize);
    shootdown(page, page + kPageSize);
    parked_.insert(parked->node);
  }
  return 0;
}

void AddressSpace::release_pages(std::uint64_t start, std::uint64_t end) {
  free_parked(start, end);
  // In rounds of at most PendingFrames::kCapacity pages: unmap, shoot down, then free.
  PendingFrames pending;
  std::uint64_t v = start;
  while (v < end) {
    pending.count = 0;
    std::uint64_t round_end = v;
    // Holes are skipped a table at a time: the cost follows what is mapped, not the length
    // (a munmap of a 128 TiB hole took hours page by page, holding the address space's lock).
    while (round_end < end && pending.count < PendingFrames::kCapacity) {
      round_end = tables_.next_mapped(round_end, end);
      if (round_end >= end) break;
      auto t = tables_.translate(round_end);
      if (t) pending.phys[pending.count++] = t.value().phys & ~(kPageSize - 1);
      round_end += kPageSize;
    }
    if (pending.count != 0) {
      (void)tables_.unmap(v, round_end - v);
      shootdown(v, round_end);
      for (std::uint32_t i = 0; i < pending.count; ++i) drop_user_frame(pending.phys[i]);
      resident_.fetch_sub(pending.count, std::memory_order_relaxed);
      g_total_resident.fetch_sub(pending.count, std::memory_order_relaxed);
    }
    v = round_end;
  }
}

int AddressSpace::remove_range(std::uint64_t start, std::uint64_t end) {
  if (!split(start) || !split(end)) return kENOMEM;
  for (Vma* v = first_ending_after(start); v != nullptr && v->start < end;) {
    Vma* next = vma_of(VmaTree::next(&v->node));
    vmas_.erase(v->node);
    free_vma(v);
    v = next;
  }
  release_pages(start, end);
  return 0;
}

klib::Result<std::uint64_t, int> AddressSpace::map(std::uint64_t addr, std::uint64_t length,
                                                   std::uint32_t prot, std::uint32_t kind,
                                                   bool fixed, bool noreplace,
                                                   FileBacking backing) {
  if (length == 0) return klib::make_error(kEINVAL);
  if (length > kUserEnd) return klib::make_error(kENOMEM);
  length = page_up(length);
  if ((prot & ~(kProtRead | kProtWrite | kProtExec)) != 0) return klib::make_error(kEINVAL);
  sched::MutexGuard guard(lock_);
  if (vmas_.size() >= kMaxRegions - 2) return klib::make_error(kENOMEM);
  std::uint64_t start;
  if (fixed) {
    if (addr % kPageSize != 0) return klib::make_error(kEINVAL);
    if (addr < kUserBottom || addr > kUserEnd - length) {
      return klib::make_error(addr < kUserBottom ? kEPERM : kENOMEM);
    }
    start = addr;
    if (!range_free(start, start + length)) {
      if (noreplace) return klib::make_error(kEEXIST);
      if (const int e = remove_range(start, start + length); e != 0) return klib::make_error(e);
    }
  } else {
    start = find_gap(length, addr);
    if (start == 0) return klib::make_error(kENOMEM);
  }
  auto* v = new (std::nothrow) Vma;
  if (v == nullptr) return klib::make_error(kENOMEM);
  v->start = start;
  v->end = start + length;
  v->prot = prot;
  v->kind = kind;
  v->offset = backing.offset;
  if (!adopt_file(*v, backing.file)) {
    delete v;
    return klib::make_error(kENOMEM);
  }
  vmas_.insert(v->node);
  return start;
}

bool AddressSpace::covered(std::uint64_t start, std::uint64_t end) {
  // Region by region, not page by page: a hole anywhere in [start, end) is a gap between them.
  std::uint64_t reached = start;
  for (Vma* v = first_ending_after(start); v != nullptr && v->start < end;
       v = vma_of(VmaTree::next(&v->node))) {
    if (v->start > reached) return false;
    reached = v->end;
  }
  return reached >= end;
}

int AddressSpace::map_special(std::uint64_t addr, const SpecialPages& pages, std::uint32_t prot,
                              std::uint32_t kind) {
  const std::uint64_t length = pages.count * kPageSize;
  if (addr % kPageSize != 0 || length == 0 || addr < kUserBottom || addr > kUserEnd - length) {
    return kEINVAL;
  }
  sched::MutexGuard guard(lock_);
  if (vmas_.size() >= kMaxRegions - 2) return kENOMEM;
  if (!range_free(addr, addr + length)) return kEEXIST;
  auto* v = new (std::nothrow) Vma;
  if (v == nullptr) return kENOMEM;
  v->start = addr;
  v->end = addr + length;
  v->prot = prot;
  v->kind = kind;
  v->special = &pages;
  vmas_.insert(v->node);
  return 0;
}

int AddressSpace::unmap(std::uint64_t addr, std::uint64_t length) {
  if (addr % kPageSize != 0 || length == 0) return kEINVAL;
  if (addr >= kUserEnd || length > kUserEnd - addr) return kEINVAL;
  sched::MutexGuard guard(lock_);
  return remove_range(addr, addr + page_up(length));
}

int AddressSpace::protect(std::uint64_t addr, std::uint64_t length, std::uint32_t prot) {
  if (addr % kPageSize != 0) return kEINVAL;
  if ((prot & ~(kProtRead | kProtWrite | kProtExec)) != 0) return kEINVAL;
  if (length == 0) return 0;
  if (addr >= kUserEnd || length > kUserEnd - addr) return kENOMEM;
  const std::uint64_t end = addr + page_up(length);
  sched::MutexGuard guard(lock_);
  if (!covered(addr, end)) return kENOMEM;  // changing nothing
  if ((prot & kProtWrite) != 0) {
    for (Vma* v = first_ending_after(addr); v != nullptr && v->start < end;
         v = vma_of(VmaTree::next(&v->node))) {
      if ((v->kind & kVmaNoWrite) != 0) return kEACCES;  // changing nothing either
    }
  }
  if ((prot & kProtExec) != 0) {
    for (Vma* v = first_ending_after(addr); v != nullptr && v->start < end;
         v = vma_of(VmaTree::next(&v->node))) {
      if ((v->kind & kVmaNoExec) != 0) return kEACCES;
    }
  }
  if (!split(addr) || !split(end)) return kENOMEM;
  if (prot == 0) {
    if (const int e = park_range(addr, end); e != 0) return e;
  }
  for (Vma* v = first_ending_after(addr); v != nullptr && v->start < end;
       v = vma_of(VmaTree::next(&v->node))) {
    v->prot = prot;
    // Populated pages get the new rights now; the others (and parked ones) when first touched.
    // A private page still shared after fork stays read-only: its first write copies it.
    for (std::uint64_t p = tables_.next_mapped(v->start, v->end); p < v->end;
         p = tables_.next_mapped(p + kPageSize, v->end)) {
      auto t = tables_.translate(p);
      if (!t) continue;
      paging::PageFlags flags = flags_for(prot);
      if ((v->kind & kVmaShared) == 0 && frame_shared(t.value().phys & ~(kPageSize - 1))) {
        flags.writable = false;
      }
      (void)tables_.protect(p, kPageSize, flags);
    }
  }
  shootdown(addr, end);
  return 0;
}

int AddressSpace::discard(std::uint64_t addr, std::uint64_t length) {
  if (addr % kPageSize != 0) return kEINVAL;
  if (length == 0) return 0;
  if (addr >= kUserEnd || length > kUserEnd - addr) return kEINVAL;
  const std::uint64_t end = addr + page_up(length);
  sched::MutexGuard guard(lock_);
  if (!covered(addr, end)) return kENOMEM;
  // MAP_SHARED pages keep their contents, as on Linux, where the shared object still holds
  // them after the mapping dropped its pages (and here a page shared with another process
  // would otherwise stop being shared).
  for (std::uint64_t p = addr; p < end;) {
    Vma* v = find(p);
    const std::uint64_t stop = v->end < end ? v->end : end;
    if ((v->kind & kVmaShared) == 0) release_pages(p, stop);
    p = stop;
  }
  return 0;
}

void AddressSpace::drop_file_pages(const ramfs::Node* node, std::uint64_t size) {
  const std::uint64_t first_gone = page_up(size);  // file offset of the first page wholly past
  sched::MutexGuard guard(lock_);
  for (sched::RbNode* n = vmas_.first(); n != nullptr; n = VmaTree::next(n)) {
    Vma* v = vma_of(n);
    if (v->file == nullptr || v->file->node() != node) continue;
    const std::uint64_t span = v->end - v->start;
    if (v->offset + span <= first_gone) continue;  // wholly before the new end
    const std::uint64_t from =
        first_gone <= v->offset ? v->start : v->start + (first_gone - v->offset);
    release_pages(from, v->end);
  }
}

int AddressSpace::sync(std::uint64_t addr, std::uint64_t length) {
  if (addr % kPageSize != 0) return kEINVAL;
  if (length == 0) return 0;
  if (addr >= kUserEnd || length > kUserEnd - addr) return kENOMEM;
  sched::MutexGuard guard(lock_);
  return covered(addr, addr + page_up(length)) ? 0 : kENOMEM;
}

void AddressSpace::set_heap_start(std::uint64_t start) {
  sched::MutexGuard guard(lock_);
  heap_start_ = heap_end_ = page_up(start);
}

std::uint64_t AddressSpace::brk(std::uint64_t new_break) {
  sched::MutexGuard guard(lock_);
  if (new_break == 0 || new_break < heap_start_ || new_break > kMmapTop) return heap_end_;
  const std::uint64_t old_top = page_up(heap_end_);
  const std::uint64_t new_top = page_up(new_break);
  if (new_top > old_top) {
    if (!range_free(old_top, new_top)) return heap_end_;
    Vma* below = old_top > heap_start_ ? find(old_top - 1) : nullptr;
    if (below != nullptr && (below->kind & kVmaHeap) != 0 && below->end == old_top) {
      below->end = new_top;
    } else {
      auto* v = new (std::nothrow) Vma;
      if (v == nullptr) return heap_end_;
      v->start = old_top;
      v->end = new_top;
      v->prot = kProtRead | kProtWrite;
      v->kind = kVmaHeap;
      vmas_.insert(v->node);
    }
  } else if (new_top < old_top) {
    if (remove_range(new_top, old_top) != 0) return heap_end_;
  }
  heap_end_ = new_break;
  return heap_end_;
}

FaultResult AddressSpace::populate(std::uint64_t page, const Vma& v, std::uint64_t* phys) {
  if (auto t = tables_.translate(page)) {
    *phys = t.value().phys & ~(kPageSize - 1);
    return FaultResult::kRetry;
  }
  if (ParkedPage* parked = find_parked(page)) {
    // Back from PROT_NONE: the same frame, with its contents, under the region's rights now
    // (read-only while fork's copy-on-write still shares it).
    paging::PageFlags flags = flags_for(v.prot);
    if ((v.kind & kVmaShared) == 0 && frame_shared(parked->phys)) flags.writable = false;
    if (!tables_.map(page, parked->phys, kPageSize, flags, paging::PageSize::k4K)) {
      return FaultResult::kSegv;
    }
    *phys = parked->phys;
    parked_.erase(parked->node);
    delete parked;
    return FaultResult::kRetry;
  }
  if (v.file != nullptr) return populate_file(page, v, phys);
  if (v.special != nullptr) return populate_special(page, v, phys);
  auto frame = mm::alloc_cleared_frames(1);
  if (!frame) return FaultResult::kSegv;
  // A not-present to present change needs no flush (Intel SDM vol. 3A 4.10.4.3).
  if (!tables_.map(page, frame.value(), kPageSize, flags_for(v.prot), paging::PageSize::k4K)) {
    UserTableFrames::free_frame(frame.value());
    return FaultResult::kSegv;
  }
  resident_.fetch_add(1, std::memory_order_relaxed);
  g_total_resident.fetch_add(1, std::memory_order_relaxed);
  *phys = frame.value();
  return FaultResult::kRetry;
}

FaultResult AddressSpace::populate_file(std::uint64_t page, const Vma& v, std::uint64_t* phys) {
  ramfs::Node* node = v.file->node();
  if (node == nullptr) return FaultResult::kSegv;  // mmap maps regular files only
  const std::uint64_t index = (v.offset + (page - v.start)) / kPageSize;
  std::uint64_t frame;
  paging::PageFlags flags = flags_for(v.prot);
  const bool is_private = (v.kind & kVmaShared) == 0;
  // The file's own page, with a mapper's reference taken under the node's lock: a truncate
  // racing this fault cannot free it under us (it stays ours, detached from the file, until
  // that truncate's unmapping takes it out: it waits for our mutex, drop_file_pages).
  // A private mapping too maps the file's page, read-only, until it writes (as fork shares a
  // page): every process running one program runs the same frames (and, under an emulator,
  // the same translated code). The first write copies it (make_writable).
  auto shared = node->share_page(index);
  if (shared) {
    frame = shared.value();
    if (is_private) flags.writable = false;
  } else if (is_private && shared.error() == ramfs::Errno::kENODEV) {
    // A page store that cannot share the page (the share table is full): a copy now.
    auto copy = mm::alloc_frames(1);
    if (!copy) return FaultResult::kSegv;
    auto read = node->copy_page(index, mm::phys_to<std::uint8_t>(copy.value()));
    if (!read) {
      UserTableFrames::free_frame(copy.value());
      return read.error() == ramfs::Errno::kENXIO ? FaultResult::kBus : FaultResult::kSegv;
    }
    frame = copy.value();
  } else {
    return shared.error() == ramfs::Errno::kENXIO ? FaultResult::kBus : FaultResult::kSegv;
  }
  if (!tables_.map(page, frame, kPageSize, flags, paging::PageSize::k4K)) {
    drop_user_frame(frame);  // the file's reference keeps a shared page alive
    return FaultResult::kSegv;
  }
  resident_.fetch_add(1, std::memory_order_relaxed);
  g_total_resident.fetch_add(1, std::memory_order_relaxed);
  *phys = frame;
  return FaultResult::kRetry;
}

FaultResult AddressSpace::populate_special(std::uint64_t page, const Vma& v, std::uint64_t* phys) {
  const std::uint64_t index = (v.offset + (page - v.start)) / kPageSize;
  if (index >= v.special->count) return FaultResult::kBus;  // as Linux's special_mapping_fault
  const std::uint64_t frame = v.special->frames[index];
  // One more mapper of a kernel frame: never the last, so no path ever frees it.
  if (!share_frame(frame)) return FaultResult::kSegv;
  // Never writable: the frame is the kernel's, shared by every space; a write the region
  // allows copies it first (make_writable).
  paging::PageFlags flags = flags_for(v.prot);
  flags.writable = false;
  if (!tables_.map(page, frame, kPageSize, flags, paging::PageSize::k4K)) {
    (void)release_frame(frame);
    return FaultResult::kSegv;
  }
  resident_.fetch_add(1, std::memory_order_relaxed);
  g_total_resident.fetch_add(1, std::memory_order_relaxed);
  *phys = frame;
  return FaultResult::kRetry;
}

FaultResult AddressSpace::handle_fault(std::uint64_t addr, FaultAccess access) {
  sched::MutexGuard guard(lock_);
  Vma* v = find(addr);
  if (v == nullptr) return FaultResult::kSegv;
  if (access.write && (v->prot & kProtWrite) == 0) return FaultResult::kSegv;
  if (access.exec && (v->prot & kProtExec) == 0) return FaultResult::kSegv;
  if (v->prot == 0) return FaultResult::kSegv;
  const std::uint64_t page = page_down(addr);
  if (access.present) {
    // A write to a read-only page of a private writable region: copy-on-write after fork.
    if (access.write) {
      auto t = tables_.translate(page);
      if (t && !t.value().flags.writable) {
        std::uint64_t phys;
        return make_writable(page, *v, t.value().phys & ~(kPageSize - 1), &phys)
                   ? FaultResult::kRetry
                   : FaultResult::kSegv;
      }
    }
    // Mapped, and the region allows the access: the tables were already changed to allow it
    // by another CPU (mprotect, a copy-on-write fault of another thread) and this CPU's TLB
    // entry was stale; drop it and retry.
    mm::arch::invlpg(page);
    return FaultResult::kRetry;
  }
  std::uint64_t phys;
  return populate(page, *v, &phys);
}

bool AddressSpace::populate_shared(std::uint64_t page, const Vma& v) {
  if (v.prot != 0) {
    std::uint64_t phys;
    return populate(page, v, &phys) == FaultResult::kRetry;
  }
  // PROT_NONE: a zeroed frame parked, shared below with the other parked pages.
  if (find_parked(page) != nullptr) return true;
  auto* parked = new (std::nothrow) ParkedPage;
  auto frame = mm::alloc_cleared_frames(1);
  if (parked == nullptr || !frame) {
    delete parked;
    if (frame) UserTableFrames::free_frame(frame.value());
    return false;
  }
  parked->addr = page;
  parked->phys = frame.value();
  parked_.insert(parked->node);
  resident_.fetch_add(1, std::memory_order_relaxed);
  g_total_resident.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool AddressSpace::make_writable(std::uint64_t page, const Vma& v, std::uint64_t old,
                                 std::uint64_t* phys) {
  if ((v.kind & kVmaShared) != 0) {
    // Shared memory is never copied; a read-only entry here is a stale one of mprotect.
    (void)tables_.protect(page, kPageSize, flags_for(v.prot));
    shootdown(page, page + kPageSize);
    *phys = old;
    return true;
  }
  if (!frame_shared(old)) {
    // The other mappers have gone (or copied already): this space owns the frame alone. Only
    // this CPU may hold the read-only entry that faulted; others fault and find it writable.
    (void)tables_.protect(page, kPageSize, flags_for(v.prot));
    mm::arch::invlpg(page);
    *phys = old;
    return true;
  }
  auto frame = mm::alloc_frames(1);
  if (!frame) {
    klog::warn("vm: out of memory copying a shared page at {:#x} on write", page);
    return false;
  }
  __builtin_memcpy(mm::phys_to<std::uint8_t>(frame.value()), mm::phys_to<std::uint8_t>(old),
                   kPageSize);
  // The old entry goes and every CPU of this space forgets it before the frame is given up:
  // a thread on another CPU must not go on reading the frame the others still share.
  (void)tables_.unmap(page, kPageSize);
  const bool mapped =
      tables_.map(page, frame.value(), kPageSize, flags_for(v.prot), paging::PageSize::k4K)
          .ok();
  shootdown(page, page + kPageSize);
  drop_user_frame(old);
  if (!mapped) {
    // No frame for a page table: the page is gone from this space (the process ends with a
    // fault report, as on any failed fault).
    UserTableFrames::free_frame(frame.value());
    resident_.fetch_sub(1, std::memory_order_relaxed);
    g_total_resident.fetch_sub(1, std::memory_order_relaxed);
    klog::warn("vm: out of memory for a page table at {:#x} on a copy-on-write fault", page);
    return false;
  }
  *phys = frame.value();
  return true;
}

klib::Result<AddressSpace*, int> AddressSpace::fork() {
  AddressSpace* child = create();
  if (child == nullptr) return klib::make_error(kENOMEM);
  bool ok = true;
  {
    sched::MutexGuard guard(lock_);
    // The child is locked while it is built: a file shrinking meanwhile finds it among the
    // file's mappers as soon as its regions are noted, and must wait for the pages it will
    // drop (file_mappers.h). Nobody else knows the child: this never waits.
    sched::MutexGuard child_guard(child->lock_);
    child->heap_start_ = heap_start_;
    child->heap_end_ = heap_end_;
    // The range of the parent's pages made read-only, shot down once at the end.
    std::uint64_t low = kUserEnd, high = 0;
    for (sched::RbNode* n = vmas_.first(); ok && n != nullptr; n = VmaTree::next(n)) {
      const Vma& v = *vma_of(n);
      auto* copy = new (std::nothrow) Vma;
      if (copy == nullptr) {
        ok = false;
        break;
      }
      copy->start = v.start;
      copy->end = v.end;
      copy->prot = v.prot;
      copy->kind = v.kind;
      copy->offset = v.offset;
      copy->special = v.special;
      if (!child->adopt_file(*copy, v.file)) {
        delete copy;
        ok = false;
        break;
      }
      child->vmas_.insert(copy->node);
      const bool shared = (v.kind & kVmaShared) != 0;
      // Anonymous MAP_SHARED memory has no backing object that a later first touch could find:
      // every page of it is made now, so that both spaces map the same frame. A shared file
      // mapping's untouched pages are found in the file by either space later.
      const bool make_all = shared && v.file == nullptr;
      for (std::uint64_t page = v.start; page < v.end; page += kPageSize) {
        if (!make_all) {
          page = skip_unmapped(tables_.pml4_phys(), page, v.end);
          if (page >= v.end) break;
        }
        if (make_all && !populate_shared(page, v)) {
          ok = false;
          break;
        }
        auto t = tables_.translate(page);
        if (!t) continue;
        const std::uint64_t phys = t.value().phys & ~(kPageSize - 1);
        if (!share_frame(phys)) {
          ok = false;
          break;
        }
        paging::PageFlags flags = t.value().flags;
        flags.writable = flags.writable && shared;
        if (!child->tables_.map(page, phys, kPageSize, flags, paging::PageSize::k4K)) {
          (void)release_frame(phys);  // the parent still maps it: never the last
          ok = false;
          break;
        }
        child->resident_.fetch_add(1, std::memory_order_relaxed);
        g_total_resident.fetch_add(1, std::memory_order_relaxed);
        if (!shared && t.value().flags.writable) {
          (void)tables_.protect(page, kPageSize, flags);
          if (page < low) low = page;
          if (page + kPageSize > high) high = page + kPageSize;
        }
      }
    }
    // Pages parked by PROT_NONE: the child parks the same frames.
    for (sched::RbNode* n = parked_.first(); ok && n != nullptr; n = ParkedTree::next(n)) {
      const auto& parked = *reinterpret_cast<const ParkedPage*>(n);
      auto* copy = new (std::nothrow) ParkedPage;
      if (copy == nullptr || !share_frame(parked.phys)) {
        delete copy;
        ok = false;
        break;
      }
      copy->addr = parked.addr;
      copy->phys = parked.phys;
      child->parked_.insert(copy->node);
      child->resident_.fetch_add(1, std::memory_order_relaxed);
      g_total_resident.fetch_add(1, std::memory_order_relaxed);
    }
    // Every CPU running one of our threads drops the writable entries before the child can
    // run (and, on failure, before its references are dropped: harmless either way then).
    if (high != 0) shootdown(low, high);
  }
  if (!ok) {
    child->put();  // gives back its tables and its references to our frames
    return klib::make_error(kENOMEM);
  }
  return child;
}

bool AddressSpace::write(std::uint64_t addr, const void* data, std::uint64_t size) {
  if (!arch::user_range_ok(addr, size)) return false;
  sched::MutexGuard guard(lock_);
  const auto* src = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    Vma* v = find(addr);
    // Never into the kernel's own pages (the loader has no business there).
    if (v == nullptr || v->prot == 0 || v->special != nullptr) return false;
    std::uint64_t phys;
    const std::uint64_t page = page_down(addr);
    if (populate(page, *v, &phys) != FaultResult::kRetry) return false;
    // A page fork still shares, or a private mapping's file page, gets its own copy first
    // (as a user write would), even in a region the program may not write (exec fills those).
    const bool private_shared = (v->kind & kVmaShared) == 0 && frame_shared(phys);
    if (private_shared || (v->prot & kProtWrite) != 0) {
      auto t = tables_.translate(page);
      if (t && (private_shared || !t.value().flags.writable) &&
          !make_writable(page, *v, phys, &phys)) {
        return false;
      }
    }
    const std::uint64_t offset = addr % kPageSize;
    const std::uint64_t chunk = size < kPageSize - offset ? size : kPageSize - offset;
    __builtin_memcpy(mm::phys_to<std::uint8_t>(phys) + offset, src, chunk);
    src += chunk;
    addr += chunk;
    size -= chunk;
  }
  return true;
}

bool AddressSpace::shared_futex_key(std::uint64_t uaddr, std::uint64_t* key) {
  sched::MutexGuard guard(lock_);
  Vma* v = find(uaddr);
  if (v == nullptr || (v->kind & kVmaShared) == 0 || v->prot == 0) return false;
  const std::uint64_t page = page_down(uaddr);
  std::uint64_t phys;
  if (ParkedPage* parked = find_parked(page)) {
    phys = parked->phys;
  } else if (populate(page, *v, &phys) != FaultResult::kRetry) {
    return false;
  }
  // Shared frames are never copied or moved while mapped: the key holds while any space maps
  // the page.
  *key = phys + uaddr % kPageSize;
  return true;
}

void AddressSpace::switch_to(AddressSpace* next) {
  if (next == nullptr) return;  // a kernel thread: keep what is loaded (lazy)
  const std::uint32_t cpu = arch::current_cpu_index();
  AddressSpace* prev = g_loaded[cpu];
  if (prev == next) return;
  // Join before loading: see shootdown().
  next->cpus_.add(platform::CpuNumber{cpu});
  mm::arch::write_cr3(next->pml4_phys());  // flushes every non-global translation of prev
  g_loaded[cpu] = next;
  if (prev != nullptr) prev->cpus_.remove(platform::CpuNumber{cpu});
}

AddressSpace* AddressSpace::loaded() { return g_loaded[arch::current_cpu_index()]; }

std::uint64_t total_resident_pages() { return g_total_resident.load(std::memory_order_relaxed); }

}  // namespace kvm
