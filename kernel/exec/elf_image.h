// The ELF64 executable a program is started from: the file's headers checked and reduced to
// what the loader maps (the PT_LOAD segments, with their permissions) and what the initial
// stack tells the program (entry, program headers, TLS template). Static x86-64 executables
// only: ET_EXEC, and static-PIE (ET_DYN without PT_INTERP) placed at a load base the caller
// picks. Pure and freestanding: it reads bytes, allocates nothing and prints nothing.
// Host-tested and fuzzed. docs/user-space.md "Programs: the ELF loader" gives the rules.
#pragma once

#include <cstdint>

#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace kexec {

inline constexpr std::uint64_t kPageSize = 4096;
// Most PT_LOAD segments one image may have (linkers write 2 to 5; Linux has no fixed limit).
inline constexpr std::uint32_t kMaxLoadSegments = 16;
// Most program headers of any type (e_phnum). Linux refuses tables above 64 KiB; real
// executables have about a dozen. Also keeps PN_XNUM (0xffff, extended numbering) out.
inline constexpr std::uint32_t kMaxProgramHeaders = 64;
// Where user mappings may lie: at or above Linux's default vm.mmap_min_addr (so a null
// pointer, and any small offset from it, always faults) and below Linux's TASK_SIZE, one page
// short of the canonical hole (so no instruction can end at the hole, where SYSRET would fault
// in ring 0 on Intel CPUs).
inline constexpr std::uint64_t kUserLowest = 0x10000;
inline constexpr std::uint64_t kUserTop = 0x00007ffffffff000;
// Largest span of a static-PIE image, first to last page: far above any real program, far
// below the user range, so any span that passes fits at many bases.
inline constexpr std::uint64_t kMaxPieSpan = std::uint64_t{1} << 40;
// Largest p_align honoured (2 MiB and 64 KiB are what linkers use); above it the image is
// refused rather than placed on an absurd boundary.
inline constexpr std::uint64_t kMaxSegmentAlign = std::uint64_t{1} << 30;

enum class ElfType : std::uint8_t {
  kExec,  // ET_EXEC: at the addresses in its headers
  kPie,   // ET_DYN without PT_INTERP: static-PIE, anywhere (load_bias)
};

// One PT_LOAD: [vaddr, vaddr + file_size) comes from [offset, offset + file_size) of the
// file, the rest up to vaddr + mem_size is zero. Never both writable and executable.
struct ElfSegment {
  std::uint64_t vaddr = 0;
  std::uint64_t offset = 0;
  std::uint64_t file_size = 0;
  std::uint64_t mem_size = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
  std::uint16_t header_index = 0;  // its place in the program-header table

  // The pages it touches: [page_start, page_end). Two neighbours may share one page (see
  // docs/user-space.md): the loader gives such a page both segments' contents and the union
  // of their permissions, which parse_elf has checked is not writable and executable.
  std::uint64_t page_start() const { return vaddr & ~(kPageSize - 1); }
  std::uint64_t page_end() const { return (vaddr + mem_size + kPageSize - 1) & ~(kPageSize - 1); }
};

// PT_TLS: the thread-local template libc copies for each thread (in memory at vaddr, inside a
// loaded segment's file bytes), file_size initialised bytes then zeros up to mem_size.
struct ElfTls {
  bool present = false;
  std::uint64_t vaddr = 0;
  std::uint64_t file_size = 0;
  std::uint64_t mem_size = 0;
  std::uint64_t align = 0;
};

// A checked executable. Addresses are the file's own (link-time) ones: add load_bias() for
// where they are in the process.
struct ElfImage {
  ElfType type = ElfType::kExec;
  std::uint64_t entry = 0;
  ElfSegment segments[kMaxLoadSegments];
  std::uint32_t segment_count = 0;  // at least 1, in ascending vaddr order
  std::uint64_t phdr_vaddr = 0;     // the program headers in memory (AT_PHDR before the bias)
  std::uint16_t phent = 0;          // e_phentsize (AT_PHENT)
  std::uint16_t phnum = 0;          // e_phnum (AT_PHNUM)
  std::uint64_t start = 0;          // first page of the lowest segment
  std::uint64_t end = 0;            // end of the last page of the highest segment
  std::uint64_t align = kPageSize;  // the largest p_align of the segments, at least a page
  ElfTls tls;
  // PT_GNU_STACK has PF_X (absent: not executable, as on Linux x86-64).
  bool stack_executable = false;
};

enum class ElfErrorKind : std::uint8_t {
  kTruncated,              // shorter than the ELF header (value: file size)
  kBadMagic,               // not \x7fELF
  kNotElf64,               // EI_CLASS is not ELFCLASS64 (value: EI_CLASS)
  kNotLittleEndian,        // EI_DATA is not ELFDATA2LSB (value: EI_DATA)
  kBadVersion,             // EI_VERSION or e_version is not EV_CURRENT (value: it)
  kNotX86_64,              // e_machine is not EM_X86_64 (value: e_machine)
  kBadType,                // e_type neither ET_EXEC nor ET_DYN (value: e_type)
  kBadHeaderSize,          // e_ehsize is not 64 (value: e_ehsize)
  kBadProgramHeaderSize,   // e_phentsize is not 56 (value: e_phentsize)
  kBadProgramHeaderCount,  // e_phnum is 0 or above kMaxProgramHeaders (value: e_phnum)
  kProgramHeadersPastEnd,  // the table runs past the file's end (value: e_phoff)
  kDynamicallyLinked,      // a PT_INTERP (value: its p_offset)
  kDuplicateHeader,        // a second PT_PHDR, PT_TLS or PT_GNU_STACK (value: p_type)
  kTooManySegments,        // more PT_LOADs than kMaxLoadSegments (value: kMaxLoadSegments)
  kNoLoadSegment,          // no PT_LOAD at all
  kEmptySegment,           // a PT_LOAD with p_memsz 0
  kFileSizeAboveMemSize,   // p_filesz > p_memsz (value: p_filesz)
  kSegmentPastEnd,         // p_offset + p_filesz past the file's end or wrapping (value: p_offset)
  kSegmentWraps,           // p_vaddr + p_memsz, page-rounded, wraps (value: p_vaddr)
  kBadAlignment,       // p_align not 0, 1 or a power of two up to kMaxSegmentAlign (value: p_align)
  kMisalignedSegment,  // p_vaddr and p_offset differ modulo the page size (value: p_vaddr)
  kSegmentsOutOfOrder,  // a PT_LOAD below the one before it (value: p_vaddr)
  kSegmentsOverlap,     // a PT_LOAD starting inside the one before it (value: p_vaddr)
  kOutsideUserRange,    // ET_EXEC segment below kUserLowest or above kUserTop (value: p_vaddr)
  kImageTooLarge,       // static-PIE span kMaxPieSpan or more (value: the span)
  kWritableExecutable,  // a PT_LOAD both writable and executable
  // two PT_LOADs share a page, one writable and one executable (value: p_vaddr of the second)
  kSharedPageWritableExecutable,
  kEntryNotExecutable,  // e_entry outside every executable PT_LOAD (value: e_entry)
  // the program headers are in no PT_LOAD's file bytes (value: their vaddr, or e_phoff)
  kPhdrNotLoaded,
  kBadTls,       // PT_TLS sizes, alignment or place (value: its p_vaddr)
  kBadLoadBase,  // load_bias: base misaligned or the image would not fit (value: base)
};

// What is wrong and where: `header` is the index of the program header concerned, or -1 for
// the file header; `value` is the offending field (see each kind).
struct ElfError {
  ElfErrorKind kind;
  std::int32_t header;
  std::uint64_t value;
};

// One line of English for a kind: "dynamically linked (PT_INTERP): not supported".
const char* describe(ElfErrorKind kind);

// Writes "program header 3: segment is writable and executable (value 0x401000)", or
// "file header: ..." when header is -1; for logs: format into a fmt::FixedBuffer, then log it.
void format_elf_error(fmt::Sink& sink, const ElfError& error);

// Checks `size` bytes of an ELF file and describes it, or names the first problem. The bytes
// are only read during the call; the image holds no pointer into them.
klib::Result<ElfImage, ElfError> parse_elf(const std::uint8_t* data, std::uint64_t size);

// What to add to the image's addresses (segments, entry, phdr_vaddr, tls) when its first page
// goes to `base`: for a PIE base - image.start (modulo 2^64), refused (kBadLoadBase) unless
// base is a multiple of image.align and the whole image, [base, base + end - start), lies
// inside [kUserLowest, kUserTop). For ET_EXEC always 0 (it has one place; base is ignored).
klib::Result<std::uint64_t, ElfError> load_bias(const ElfImage& image, std::uint64_t base);

// The highest base load_bias accepts for a PIE (aligned to image.align): a random base is
// drawn from [kUserLowest rounded up to align, max_load_base]. 0 when nothing fits.
std::uint64_t max_load_base(const ElfImage& image);

}  // namespace kexec
