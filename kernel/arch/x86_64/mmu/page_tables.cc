#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace paging {
namespace {

using klib::make_error;
using klib::Ok;
using klib::Result;

inline constexpr int kLevels = 4;  // PML4 = 4, PDPT = 3, PD = 2, PT = 1
inline constexpr std::size_t kEntries = 512;

// Bits an entry keeps when its rights change or it is split; everything else is address or PS.
inline constexpr std::uint64_t kRightsMask = pte::kPresent | pte::kWritable | pte::kUser |
                                             pte::kWriteThrough | pte::kCacheDisable |
                                             pte::kGlobal | pte::kNoExecute;

constexpr int level_shift(int level) { return 12 + 9 * (level - 1); }
constexpr std::uint64_t level_span(int level) { return 1ull << level_shift(level); }
constexpr std::size_t level_index(std::uint64_t virt, int level) {
  return (virt >> level_shift(level)) & (kEntries - 1);
}

constexpr bool is_leaf(std::uint64_t entry, int level) {
  return level == 1 || (entry & pte::kLargePage) != 0;
}

// Physical address an entry points to: a table (non-leaf) or the page it maps (leaf).
constexpr std::uint64_t entry_address(std::uint64_t entry, int level) {
  if (level == 1 || (entry & pte::kLargePage) == 0) return entry & pte::kAddress4K;
  return entry & (level == 3 ? pte::kAddress1G : pte::kAddress2M);
}

// Whether a leaf may sit at `level` when the caller allows pages up to `largest`.
constexpr bool leaf_allowed(int level, PageSize largest) {
  if (level == 1) return true;
  if (level == 2) return largest != PageSize::k4K;
  if (level == 3) return largest == PageSize::k1G;
  return false;
}

// Where a leaf at `level` keeps its PAT bit: bit 7 in a 4 KiB entry, bit 12 in a large one.
constexpr std::uint64_t pat_bit(int level) { return level == 1 ? pte::kPat4K : pte::kPatLarge; }

constexpr std::uint64_t rights_bits(PageFlags flags, int level) {
  std::uint64_t bits = pte::kPresent;
  if (flags.pat) bits |= pat_bit(level);
  if (flags.writable) bits |= pte::kWritable;
  if (flags.user) bits |= pte::kUser;
  if (flags.write_through) bits |= pte::kWriteThrough;
  if (flags.cache_disable) bits |= pte::kCacheDisable;
  if (flags.global) bits |= pte::kGlobal;
  if (!flags.executable) bits |= pte::kNoExecute;
  return bits;
}

constexpr std::uint64_t make_leaf(std::uint64_t phys, PageFlags flags, int level) {
  std::uint64_t entry = phys | rights_bits(flags, level);
  if (level > 1) entry |= pte::kLargePage;
  return entry;
}

// Intermediate entries grant everything; the leaf decides (the CPU ANDs RW and U and ORs NX over
// the levels, so restricting here would silently restrict every leaf below).
constexpr std::uint64_t make_table_entry(std::uint64_t table_phys, bool user) {
  return table_phys | pte::kPresent | pte::kWritable | (user ? pte::kUser : 0);
}

constexpr PageSize leaf_size(int level) {
  return level == 3 ? PageSize::k1G : level == 2 ? PageSize::k2M : PageSize::k4K;
}

bool aligned(std::uint64_t value) { return (value & (kPageSize4K - 1)) == 0; }

// Checks a virtual range [virt, virt + size) for map/unmap/protect; yields its last byte.
Result<std::uint64_t, Error> check_range(std::uint64_t virt, std::uint64_t size) {
  if (!aligned(virt)) return make_error(Error{ErrorKind::kMisaligned, virt});
  if (size == 0 || !aligned(size)) return make_error(Error{ErrorKind::kMisaligned, virt});
  if (!is_canonical(virt)) return make_error(Error{ErrorKind::kNonCanonical, virt});
  const std::uint64_t last = virt + (size - 1);
  // Wrapping past 2^64, or leaving the half virt starts in, crosses non-canonical addresses.
  if (last < virt || !is_canonical(last) || (last >> 47) != (virt >> 47)) {
    return make_error(Error{ErrorKind::kNonCanonical, virt});
  }
  return last;
}

}  // namespace

const char* describe(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOutOfFrames: return "out of page-table frames";
    case ErrorKind::kNonCanonical: return "non-canonical virtual address";
    case ErrorKind::kMisaligned: return "address or size not 4 KiB aligned";
    case ErrorKind::kBadPhysical: return "physical address beyond 2^52";
    case ErrorKind::kAlreadyMapped: return "already mapped";
    case ErrorKind::kNotMapped: return "not mapped";
  }
  return "unknown paging error";
}

std::uint64_t* PageTables::table(std::uint64_t phys) const {
  return static_cast<std::uint64_t*>(frames_->table_pointer(phys));
}

bool PageTables::table_empty(std::uint64_t table_phys) const {
  const std::uint64_t* t = table(table_phys);
  for (std::size_t i = 0; i < kEntries; ++i) {
    if (t[i] & pte::kPresent) return false;
  }
  return true;
}

Result<PageTables, Error> PageTables::create(FrameSource& frames) {
  const std::uint64_t pml4 = frames.alloc_table_frame();
  if (pml4 == 0) return make_error(Error{ErrorKind::kOutOfFrames, 0});
  // The source promises zeroed frames; a stale entry here would map garbage, so make sure.
  auto* t = static_cast<std::uint64_t*>(frames.table_pointer(pml4));
  for (std::size_t i = 0; i < kEntries; ++i) t[i] = 0;
  return PageTables(frames, pml4);
}

Result<void, Error> PageTables::map(std::uint64_t virt, std::uint64_t phys, std::uint64_t size,
                                    PageFlags flags, PageSize largest_allowed) {
  const std::uint64_t last = TRY(check_range(virt, size));
  if (!aligned(phys)) return make_error(Error{ErrorKind::kMisaligned, phys});
  if (phys >= kMaxPhysicalAddress || size > kMaxPhysicalAddress - phys) {
    return make_error(Error{ErrorKind::kBadPhysical, phys});
  }
  const std::uint64_t delta = phys - virt;  // modular: phys of v is v + delta
  auto result = map_level(pml4_, kLevels, virt, last, delta, flags, largest_allowed);
  if (!result.ok()) {
    // Every page below the failing address was mapped by this call (it stops at the first
    // conflict), and pages mapped here never straddle the failing address, so the rollback
    // needs no split and cannot fail.
    const std::uint64_t failed_at = result.error().address;
    if (failed_at > virt) {
      (void)change_level(pml4_, kLevels, virt, failed_at - 1, Op::kUnmap, PageFlags{});
    }
    return result;
  }
  return Ok{};
}

Result<void, Error> PageTables::map_level(std::uint64_t table_phys, int level,
                                          std::uint64_t start, std::uint64_t end,
                                          std::uint64_t phys_delta, PageFlags flags,
                                          PageSize largest) {
  std::uint64_t* t = table(table_phys);
  const std::uint64_t span = level_span(level);
  std::uint64_t v = start;
  for (;;) {
    const std::size_t index = level_index(v, level);
    const std::uint64_t entry_first = v & ~(span - 1);
    const std::uint64_t entry_last = entry_first + (span - 1);
    const std::uint64_t sub_last = end < entry_last ? end : entry_last;
    const std::uint64_t entry = t[index];
    const bool covers_entry = v == entry_first && sub_last == entry_last &&
                              ((v + phys_delta) & (span - 1)) == 0;

    if ((entry & pte::kPresent) == 0 && covers_entry && leaf_allowed(level, largest)) {
      t[index] = make_leaf(v + phys_delta, flags, level);
    } else if ((entry & pte::kPresent) != 0 && is_leaf(entry, level)) {
      return make_error(Error{ErrorKind::kAlreadyMapped, v});
    } else {
      bool created = false;
      if ((entry & pte::kPresent) == 0) {
        const std::uint64_t frame = frames_->alloc_table_frame();
        if (frame == 0) return make_error(Error{ErrorKind::kOutOfFrames, v});
        std::uint64_t* child = table(frame);
        for (std::size_t i = 0; i < kEntries; ++i) child[i] = 0;
        t[index] = make_table_entry(frame, flags.user);
        created = true;
      } else {
        // An adopted table may have restricted a level; open it up, the leaves decide.
        t[index] |= pte::kWritable | (flags.user ? pte::kUser : 0);
      }
      const std::uint64_t child_phys = t[index] & pte::kAddress4K;
      auto result = map_level(child_phys, level - 1, v, sub_last, phys_delta, flags, largest);
      if (!result.ok()) {
        if (created && table_empty(child_phys)) {
          t[index] = 0;
          frames_->free_table_frame(child_phys);
        }
        return result;
      }
    }
    if (sub_last == end) return Ok{};
    v = sub_last + 1;
  }
}

Result<void, Error> PageTables::split(std::uint64_t& entry, int level, std::uint64_t address) {
  const std::uint64_t frame = frames_->alloc_table_frame();
  if (frame == 0) return make_error(Error{ErrorKind::kOutOfFrames, address});
  std::uint64_t* child = table(frame);
  const std::uint64_t base = entry_address(entry, level);
  const std::uint64_t child_span = level_span(level - 1);
  std::uint64_t attributes = entry & (kRightsMask | pte::kAccessed | pte::kDirty);
  if (level - 1 > 1) {
    // 1 GiB -> 2 MiB: both large, the PAT bit stays at bit 12.
    attributes |= pte::kLargePage | (entry & pte::kPatLarge);
  } else if (entry & pte::kPatLarge) {
    // 2 MiB -> 4 KiB: the PAT bit moves from bit 12 to bit 7.
    attributes |= pte::kPat4K;
  }
  for (std::size_t i = 0; i < kEntries; ++i) child[i] = (base + i * child_span) | attributes;
  entry = make_table_entry(frame, (entry & pte::kUser) != 0);
  return Ok{};
}

Result<void, Error> PageTables::change_level(std::uint64_t table_phys, int level,
                                             std::uint64_t start, std::uint64_t end, Op op,
                                             PageFlags flags, LeafRelease release,
                                             void* release_context) {
  std::uint64_t* t = table(table_phys);
  const std::uint64_t span = level_span(level);
  std::uint64_t v = start;
  for (;;) {
    const std::size_t index = level_index(v, level);
    const std::uint64_t entry_first = v & ~(span - 1);
    const std::uint64_t entry_last = entry_first + (span - 1);
    const std::uint64_t sub_last = end < entry_last ? end : entry_last;

    if ((t[index] & pte::kPresent) == 0) {
      // unmap skips holes; protect checked for holes before changing anything.
      if (op == Op::kProtect) return make_error(Error{ErrorKind::kNotMapped, v});
    } else if (is_leaf(t[index], level) && v == entry_first && sub_last == entry_last) {
      if (op == Op::kUnmap) {
        if (release != nullptr) release(entry_address(t[index], level), span, release_context);
        t[index] = 0;
      } else {
        t[index] = (t[index] & ~(kRightsMask | pat_bit(level))) | rights_bits(flags, level);
      }
    } else {
      if (is_leaf(t[index], level)) TRY_OK(split(t[index], level, v));
      if (op == Op::kProtect) t[index] |= pte::kWritable | (flags.user ? pte::kUser : 0);
      const std::uint64_t child_phys = t[index] & pte::kAddress4K;
      TRY_OK(change_level(child_phys, level - 1, v, sub_last, op, flags, release,
                          release_context));
      const bool shared_kernel_table = level == kLevels && index >= kFirstKernelPml4Slot;
      if (op == Op::kUnmap && !shared_kernel_table && table_empty(child_phys)) {
        t[index] = 0;
        frames_->free_table_frame(child_phys);
      }
    }
    if (sub_last == end) return Ok{};
    v = sub_last + 1;
  }
}

Result<void, Error> PageTables::unmap(std::uint64_t virt, std::uint64_t size) {
  const std::uint64_t last = TRY(check_range(virt, size));
  return change_level(pml4_, kLevels, virt, last, Op::kUnmap, PageFlags{});
}

Result<void, Error> PageTables::unmap_release(std::uint64_t virt, std::uint64_t size,
                                              LeafRelease release, void* context) {
  const std::uint64_t last = TRY(check_range(virt, size));
  return change_level(pml4_, kLevels, virt, last, Op::kUnmap, PageFlags{}, release, context);
}

Result<void, Error> PageTables::check_mapped(std::uint64_t start, std::uint64_t end) const {
  std::uint64_t v = start;
  for (;;) {
    const Translation found = TRY(translate(v));
    const std::uint64_t span = page_size_bytes(found.page_size);
    const std::uint64_t page_last = (v & ~(span - 1)) + (span - 1);
    if (page_last >= end) return Ok{};
    v = page_last + 1;
  }
}

Result<void, Error> PageTables::protect(std::uint64_t virt, std::uint64_t size, PageFlags flags) {
  const std::uint64_t last = TRY(check_range(virt, size));
  TRY_OK(check_mapped(virt, last));
  return change_level(pml4_, kLevels, virt, last, Op::kProtect, flags);
}

Result<Translation, Error> PageTables::translate(std::uint64_t virt) const {
  if (!is_canonical(virt)) return make_error(Error{ErrorKind::kNonCanonical, virt});
  // Effective rights combine every level: RW and U must be set at all of them, NX at any one
  // forbids execution (Intel SDM vol. 3A, 4.6.1).
  bool writable = true;
  bool user = true;
  bool executable = true;
  std::uint64_t table_phys = pml4_;
  for (int level = kLevels; level >= 1; --level) {
    const std::uint64_t entry = table(table_phys)[level_index(virt, level)];
    if ((entry & pte::kPresent) == 0) return make_error(Error{ErrorKind::kNotMapped, virt});
    writable = writable && (entry & pte::kWritable) != 0;
    user = user && (entry & pte::kUser) != 0;
    executable = executable && (entry & pte::kNoExecute) == 0;
    if (level < kLevels && is_leaf(entry, level)) {
      const std::uint64_t offset = virt & (level_span(level) - 1);
      Translation out{};
      out.phys = entry_address(entry, level) + offset;
      out.page_size = leaf_size(level);
      out.flags.writable = writable;
      out.flags.user = user;
      out.flags.executable = executable;
      out.flags.global = (entry & pte::kGlobal) != 0;
      out.flags.cache_disable = (entry & pte::kCacheDisable) != 0;
      out.flags.write_through = (entry & pte::kWriteThrough) != 0;
      out.flags.pat = (entry & pat_bit(level)) != 0;
      return out;
    }
    table_phys = entry & pte::kAddress4K;
  }
  return make_error(Error{ErrorKind::kNotMapped, virt});  // unreachable: level 1 is always a leaf
}

std::uint64_t PageTables::next_mapped(std::uint64_t virt, std::uint64_t end) const {
  while (virt < end && is_canonical(virt)) {
    std::uint64_t table_phys = pml4_;
    int level = kLevels;
    for (;; --level) {
      const std::uint64_t entry = table(table_phys)[level_index(virt, level)];
      if ((entry & pte::kPresent) == 0) break;
      if (level < kLevels && is_leaf(entry, level)) return virt;
      table_phys = entry & pte::kAddress4K;
    }
    // Nothing below this entry: on to the next entry of the level that had the hole.
    const std::uint64_t next = (virt & ~(level_span(level) - 1)) + level_span(level);
    if (next <= virt) break;  // wrapped past the top
    virt = next;
  }
  return end;
}

}  // namespace paging
