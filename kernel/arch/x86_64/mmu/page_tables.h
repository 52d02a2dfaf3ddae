// x86-64 four-level page tables, independent of who provides the table frames.
//
// The same code builds the loader's tables (frames from UEFI AllocatePages, identity access),
// the kernel's own address space (frames from the frame allocator, access through the direct
// map) and runs in host tests (frames from host memory). It never touches CR3 and never flushes
// the TLB: a caller changing tables the CPU is using must invalidate the range it changed
// (invlpg or a CR3 reload, plus a shootdown on SMP) after unmap() and protect().
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/result.h"

namespace paging {

inline constexpr std::uint64_t kPageSize4K = 0x1000;
inline constexpr std::uint64_t kPageSize2M = 0x200000;
inline constexpr std::uint64_t kPageSize1G = 0x40000000;

// Largest page a mapping may use. 1 GiB pages need CPUID 0x80000001 EDX bit 26 (Page1GB):
// the caller checks it before passing k1G.
enum class PageSize : std::uint8_t { k4K, k2M, k1G };

constexpr std::uint64_t page_size_bytes(PageSize size) {
  switch (size) {
    case PageSize::k1G: return kPageSize1G;
    case PageSize::k2M: return kPageSize2M;
    case PageSize::k4K: break;
  }
  return kPageSize4K;
}

// Access rights and caching of a mapping. Every page is readable by the kernel; executable false
// sets the NX bit, which only takes effect once the caller sets EFER.NXE.
struct PageFlags {
  bool writable = false;
  bool executable = false;
  bool user = false;
  bool global = false;
  bool cache_disable = false;
  bool write_through = false;
  // The PAT index bit (bit 7 in a 4 KiB entry, bit 12 in a large one): with cache_disable and
  // write_through it selects one of the eight PAT entries (kernel/arch/x86_64/mmu/pat.h).
  bool pat = false;

  friend constexpr bool operator==(const PageFlags&, const PageFlags&) = default;
};

// Named flag sets for the common cases, so call sites read as intent.
inline constexpr PageFlags kKernelCode{.writable = false, .executable = true};
inline constexpr PageFlags kKernelRodata{.writable = false, .executable = false};
inline constexpr PageFlags kKernelData{.writable = true, .executable = false};

// The architectural bits of a page-table entry (Intel SDM vol. 3A, 4.5, tables 4-14 to 4-20).
namespace pte {
inline constexpr std::uint64_t kPresent = 1ull << 0;
inline constexpr std::uint64_t kWritable = 1ull << 1;
inline constexpr std::uint64_t kUser = 1ull << 2;
inline constexpr std::uint64_t kWriteThrough = 1ull << 3;
inline constexpr std::uint64_t kCacheDisable = 1ull << 4;
inline constexpr std::uint64_t kAccessed = 1ull << 5;
inline constexpr std::uint64_t kDirty = 1ull << 6;
inline constexpr std::uint64_t kLargePage = 1ull << 7;  // PS in a PDPTE / PDE
inline constexpr std::uint64_t kPat4K = 1ull << 7;      // PAT in a 4 KiB PTE (same bit as PS)
inline constexpr std::uint64_t kGlobal = 1ull << 8;
inline constexpr std::uint64_t kPatLarge = 1ull << 12;  // PAT in a 2 MiB / 1 GiB entry
inline constexpr std::uint64_t kNoExecute = 1ull << 63;
// Physical address bits: up to MAXPHYADDR = 52.
inline constexpr std::uint64_t kAddress4K = 0x000ffffffffff000;
inline constexpr std::uint64_t kAddress2M = 0x000fffffffe00000;
inline constexpr std::uint64_t kAddress1G = 0x000fffffc0000000;
}  // namespace pte

inline constexpr std::uint64_t kMaxPhysicalAddress = 1ull << 52;

// PML4 slots 256..511 map the upper (kernel) half. Every address space shares the kernel's
// tables below them (docs/memory-layout.md); unmap() never frees those.
inline constexpr std::size_t kFirstKernelPml4Slot = 256;
inline constexpr std::size_t kPml4Entries = 512;

enum class ErrorKind : std::uint8_t {
  kOutOfFrames,     // the FrameSource returned 0
  kNonCanonical,    // a virtual address in the range is not canonical (48-bit)
  kMisaligned,      // virt, phys or size not 4 KiB aligned, or size 0
  kBadPhysical,     // physical range beyond 2^52 or wrapping
  kAlreadyMapped,   // map() found a present entry in the range
  kNotMapped,       // translate() / protect() found a hole
};

// What failed and at which address (virtual, except kBadPhysical which names the physical one).
struct Error {
  ErrorKind kind = ErrorKind::kOutOfFrames;
  std::uint64_t address = 0;
};

// A short English description of the kind, for log lines.
const char* describe(ErrorKind kind);

// Where page-table frames come from. Implementations: the loader (UEFI pages), the kernel
// (frame allocator + direct map), host tests (host memory).
class FrameSource {
 public:
  // Physical address of a 4 KiB-aligned frame for a page table, 0 when none is left.
  virtual std::uint64_t alloc_table_frame() = 0;
  // Where the frame at `phys` (one returned by alloc_table_frame, or one of adopted tables) can
  // be read and written by this code.
  virtual void* table_pointer(std::uint64_t phys) = 0;
  // Returns a frame that alloc_table_frame gave out and the tables no longer use.
  virtual void free_table_frame(std::uint64_t phys) = 0;

 protected:
  ~FrameSource() = default;
};

// The result of a walk: where `virt` lands and with which rights.
struct Translation {
  std::uint64_t phys;      // physical address of virt itself (page base + offset)
  PageFlags flags;
  PageSize page_size;      // size of the page that maps it
};

// One address space: a PML4 and the tables below it. Copyable handle; the tables themselves are
// owned by whoever created them. Not thread safe: callers serialise changes to one address space.
class PageTables {
 public:
  // A fresh, empty PML4 from `frames`. Fails with kOutOfFrames.
  static klib::Result<PageTables, Error> create(FrameSource& frames);

  // Adopts tables already in memory (e.g. the loader's, or the CPU's current CR3).
  PageTables(FrameSource& frames, std::uint64_t pml4_phys) : frames_(&frames), pml4_(pml4_phys) {}

  // Maps [virt, virt + size) to [phys, phys + size). Needs virt, phys and size 4 KiB aligned,
  // size > 0, a canonical range that does not cross the non-canonical hole, and nothing mapped
  // in it. Uses 2 MiB / 1 GiB pages wherever virt and phys are both aligned to them and
  // `largest_allowed` permits. On failure nothing of the range stays mapped and every table
  // this call added is freed again.
  klib::Result<void, Error> map(std::uint64_t virt, std::uint64_t phys, std::uint64_t size,
                                PageFlags flags, PageSize largest_allowed);

  // Removes every mapping in [virt, virt + size) (aligned as for map; holes are skipped). Splits
  // a large page that the range only partly covers (this needs frames and can fail with
  // kOutOfFrames, in which case pages below the error address are already unmapped) and frees
  // tables that become empty, except the PML4's own children in the upper (kernel) half: every
  // address space shares those by copying the kernel PML4's upper entries, so they must never
  // go away. The caller flushes the TLB for the range.
  klib::Result<void, Error> unmap(std::uint64_t virt, std::uint64_t size);

  // unmap() that also hands every leaf it removes to `release(phys, bytes, context)` (a user
  // address space returning its frames: the tables and the frames go in one walk).
  using LeafRelease = void (*)(std::uint64_t phys, std::uint64_t bytes, void* context);
  klib::Result<void, Error> unmap_release(std::uint64_t virt, std::uint64_t size,
                                          LeafRelease release, void* context);

  // Gives every page in [virt, virt + size) the flags `flags`, splitting large pages the range
  // only partly covers. Fails with kNotMapped (before changing anything) if the range has a hole;
  // kOutOfFrames from a split leaves pages below the error address changed. The caller flushes
  // the TLB for the range.
  klib::Result<void, Error> protect(std::uint64_t virt, std::uint64_t size, PageFlags flags);

  // Where `virt` is mapped. kNonCanonical or kNotMapped otherwise.
  klib::Result<Translation, Error> translate(std::uint64_t virt) const;

  // The first mapped address in [virt, end) (virt itself when it is mapped, else the start of
  // the first page after it that is), or `end` when none is; also `end` where the range leaves
  // the canonical lower half. Skips a missing table of any level in one step, so the cost
  // follows the tables that exist, not the length of the range (a munmap of a 128 TiB hole).
  std::uint64_t next_mapped(std::uint64_t virt, std::uint64_t end) const;

  std::uint64_t pml4_phys() const { return pml4_; }

 private:
  enum class Op : std::uint8_t { kUnmap, kProtect };

  std::uint64_t* table(std::uint64_t phys) const;
  klib::Result<void, Error> map_level(std::uint64_t table_phys, int level, std::uint64_t start,
                                      std::uint64_t end, std::uint64_t phys_delta,
                                      PageFlags flags, PageSize largest);
  klib::Result<void, Error> change_level(std::uint64_t table_phys, int level, std::uint64_t start,
                                         std::uint64_t end, Op op, PageFlags flags,
                                         LeafRelease release = nullptr,
                                         void* release_context = nullptr);
  klib::Result<void, Error> check_mapped(std::uint64_t start, std::uint64_t end) const;
  klib::Result<void, Error> split(std::uint64_t& entry, int level, std::uint64_t address);
  bool table_empty(std::uint64_t table_phys) const;

  FrameSource* frames_;
  std::uint64_t pml4_;
};

// True when `virt` is canonical for 48-bit virtual addresses (bits 63..47 all equal).
constexpr bool is_canonical(std::uint64_t virt) {
  const std::uint64_t top = virt >> 47;
  return top == 0 || top == 0x1ffff;
}

}  // namespace paging
