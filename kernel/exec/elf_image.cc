#include "kernel/exec/elf_image.h"

namespace kexec {
namespace {

// The ELF64 format (System V gABI, x86-64 psABI): field offsets of the file header and of
// one program header, and the constants this reader needs.
constexpr std::uint64_t kEhdrSize = 64;
constexpr std::uint64_t kPhdrSize = 56;
constexpr std::uint8_t kElfClass64 = 2;
constexpr std::uint8_t kElfDataLsb = 1;
constexpr std::uint32_t kEvCurrent = 1;
constexpr std::uint16_t kEtExec = 2;
constexpr std::uint16_t kEtDyn = 3;
constexpr std::uint16_t kEmX86_64 = 62;

enum EhdrField : std::uint64_t {
  kEiClass = 4,
  kEiData = 5,
  kEiVersion = 6,
  kEType = 16,
  kEMachine = 18,
  kEVersion = 20,
  kEEntry = 24,
  kEPhoff = 32,
  kEEhsize = 52,
  kEPhentsize = 54,
  kEPhnum = 56,
};
enum PhdrField : std::uint64_t {
  kPType = 0,
  kPFlags = 4,
  kPOffset = 8,
  kPVaddr = 16,
  kPFilesz = 32,
  kPMemsz = 40,
  kPAlign = 48,
};

constexpr std::uint32_t kPtLoad = 1;
constexpr std::uint32_t kPtInterp = 3;
constexpr std::uint32_t kPtPhdr = 6;
constexpr std::uint32_t kPtTls = 7;
constexpr std::uint32_t kPtGnuStack = 0x6474e551;
constexpr std::uint32_t kPfX = 1;
constexpr std::uint32_t kPfW = 2;
constexpr std::uint32_t kPfR = 4;

constexpr std::uint64_t kPageMask = kPageSize - 1;
constexpr std::uint64_t kMax = ~std::uint64_t{0};

// Little-endian loads at any alignment (the file is bytes; its headers need not be aligned).
std::uint64_t load(const std::uint8_t* p, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned i = bytes; i > 0; --i) v = (v << 8) | p[i - 1];
  return v;
}

// One program header, its fields widened.
struct Phdr {
  std::uint32_t type, flags;
  std::uint64_t offset, vaddr, filesz, memsz, align;
};

Phdr read_phdr(const std::uint8_t* p) {
  return Phdr{static_cast<std::uint32_t>(load(p + kPType, 4)),
              static_cast<std::uint32_t>(load(p + kPFlags, 4)),
              load(p + kPOffset, 8),
              load(p + kPVaddr, 8),
              load(p + kPFilesz, 8),
              load(p + kPMemsz, 8),
              load(p + kPAlign, 8)};
}

bool good_align(std::uint64_t align) {
  return align <= kMaxSegmentAlign && (align & (align - 1)) == 0;  // 0 and 1 pass: no constraint
}

klib::Unexpected<ElfError> fail(ElfErrorKind kind, std::int32_t header, std::uint64_t value) {
  return klib::make_error(ElfError{kind, header, value});
}

// Whether [vaddr, vaddr + size) lies inside the file-backed bytes of one loaded segment.
bool in_file_bytes(const ElfImage& image, std::uint64_t vaddr, std::uint64_t size) {
  for (std::uint32_t i = 0; i < image.segment_count; ++i) {
    const ElfSegment& s = image.segments[i];
    if (vaddr >= s.vaddr && vaddr - s.vaddr <= s.file_size &&
        size <= s.file_size - (vaddr - s.vaddr)) {
      return true;
    }
  }
  return false;
}

// The PT_LOAD checks of one header, and its place after the segments already in `image`.
// `last_w` / `last_x`: the permissions of the last page of the segments so far (a page that
// neighbours may share).
klib::Result<void, ElfError> add_segment(ElfImage& image, const Phdr& ph, std::int32_t index,
                                         std::uint64_t file_size, bool& last_w, bool& last_x) {
  if (image.segment_count == kMaxLoadSegments) {
    return fail(ElfErrorKind::kTooManySegments, index, kMaxLoadSegments);
  }
  if (ph.memsz == 0) return fail(ElfErrorKind::kEmptySegment, index, ph.vaddr);
  if (ph.filesz > ph.memsz) return fail(ElfErrorKind::kFileSizeAboveMemSize, index, ph.filesz);
  if (ph.offset > file_size || ph.filesz > file_size - ph.offset) {
    return fail(ElfErrorKind::kSegmentPastEnd, index, ph.offset);
  }
  // The page-rounded end must be representable too.
  if (ph.memsz > kMax - kPageMask - ph.vaddr) {
    return fail(ElfErrorKind::kSegmentWraps, index, ph.vaddr);
  }
  if (!good_align(ph.align)) return fail(ElfErrorKind::kBadAlignment, index, ph.align);
  // Mapped page by page: a file page must land on a memory page at the same offset in it.
  if ((ph.vaddr & kPageMask) != (ph.offset & kPageMask)) {
    return fail(ElfErrorKind::kMisalignedSegment, index, ph.vaddr);
  }
  const bool w = (ph.flags & kPfW) != 0, x = (ph.flags & kPfX) != 0;
  if (w && x) return fail(ElfErrorKind::kWritableExecutable, index, ph.vaddr);

  ElfSegment seg;
  seg.vaddr = ph.vaddr;
  seg.offset = ph.offset;
  seg.file_size = ph.filesz;
  seg.mem_size = ph.memsz;
  seg.readable = (ph.flags & kPfR) != 0;
  seg.writable = w;
  seg.executable = x;
  seg.header_index = static_cast<std::uint16_t>(index);

  if (image.segment_count > 0) {
    const ElfSegment& prev = image.segments[image.segment_count - 1];
    if (seg.vaddr < prev.vaddr) return fail(ElfErrorKind::kSegmentsOutOfOrder, index, seg.vaddr);
    if (seg.vaddr - prev.vaddr < prev.mem_size) {
      return fail(ElfErrorKind::kSegmentsOverlap, index, seg.vaddr);
    }
    if (seg.page_start() < prev.page_end()) {
      // Shares the last page of the segments before it.
      last_w = last_w || w;
      last_x = last_x || x;
      if (last_w && last_x) {
        return fail(ElfErrorKind::kSharedPageWritableExecutable, index, seg.vaddr);
      }
      if (seg.page_end() > prev.page_end()) {
        last_w = w;
        last_x = x;
      }
    } else {
      last_w = w;
      last_x = x;
    }
  } else {
    last_w = w;
    last_x = x;
  }
  if (image.type == ElfType::kExec &&
      (seg.page_start() < kUserLowest || seg.page_end() > kUserTop)) {
    return fail(ElfErrorKind::kOutsideUserRange, index, seg.vaddr);
  }
  if (ph.align > image.align) image.align = ph.align;
  image.segments[image.segment_count++] = seg;
  return klib::Ok{};
}

}  // namespace

const char* describe(ElfErrorKind kind) {
  switch (kind) {
    case ElfErrorKind::kTruncated: return "file shorter than the ELF header";
    case ElfErrorKind::kBadMagic: return "not an ELF file (bad magic)";
    case ElfErrorKind::kNotElf64: return "not a 64-bit ELF file (EI_CLASS)";
    case ElfErrorKind::kNotLittleEndian: return "not little-endian (EI_DATA)";
    case ElfErrorKind::kBadVersion: return "unknown ELF version";
    case ElfErrorKind::kNotX86_64: return "not an x86-64 program (e_machine)";
    case ElfErrorKind::kBadType: return "not an executable (e_type neither ET_EXEC nor ET_DYN)";
    case ElfErrorKind::kBadHeaderSize: return "ELF header size is not 64 (e_ehsize)";
    case ElfErrorKind::kBadProgramHeaderSize: return "program header size is not 56 (e_phentsize)";
    case ElfErrorKind::kBadProgramHeaderCount:
      return "program header count 0 or too large (e_phnum)";
    case ElfErrorKind::kProgramHeadersPastEnd:
      return "program headers run past the end of the file";
    case ElfErrorKind::kDynamicallyLinked: return "dynamically linked (PT_INTERP): not supported";
    case ElfErrorKind::kDuplicateHeader: return "second PT_PHDR, PT_TLS or PT_GNU_STACK";
    case ElfErrorKind::kTooManySegments: return "too many PT_LOAD segments";
    case ElfErrorKind::kNoLoadSegment: return "no PT_LOAD segment";
    case ElfErrorKind::kEmptySegment: return "PT_LOAD segment of size 0";
    case ElfErrorKind::kFileSizeAboveMemSize: return "segment file size above its memory size";
    case ElfErrorKind::kSegmentPastEnd: return "segment runs past the end of the file";
    case ElfErrorKind::kSegmentWraps: return "segment wraps around the address space";
    case ElfErrorKind::kBadAlignment: return "segment alignment not a power of two up to 1 GiB";
    case ElfErrorKind::kMisalignedSegment:
      return "segment address and file offset differ modulo the page size";
    case ElfErrorKind::kSegmentsOutOfOrder:
      return "PT_LOAD segments not in ascending address order";
    case ElfErrorKind::kSegmentsOverlap: return "PT_LOAD segments overlap";
    case ElfErrorKind::kOutsideUserRange: return "segment outside the user address range";
    case ElfErrorKind::kImageTooLarge: return "position-independent image spans 1 TiB or more";
    case ElfErrorKind::kWritableExecutable: return "segment is writable and executable";
    case ElfErrorKind::kSharedPageWritableExecutable:
      return "segments sharing a page would make it writable and executable";
    case ElfErrorKind::kEntryNotExecutable: return "entry point outside every executable segment";
    case ElfErrorKind::kPhdrNotLoaded: return "program headers are not inside a loaded segment";
    case ElfErrorKind::kBadTls:
      return "bad PT_TLS (sizes, alignment, or not inside a loaded segment)";
    case ElfErrorKind::kBadLoadBase: return "load base misaligned, or the image does not fit there";
  }
  return "?";
}

void format_elf_error(fmt::Sink& sink, const ElfError& error) {
  if (error.header < 0) {
    fmt::format_to(sink, "file header: {} (value {:#x})", describe(error.kind), error.value);
  } else {
    fmt::format_to(sink, "program header {}: {} (value {:#x})", error.header, describe(error.kind),
                   error.value);
  }
}

klib::Result<ElfImage, ElfError> parse_elf(const std::uint8_t* data, std::uint64_t size) {
  if (size < kEhdrSize) return fail(ElfErrorKind::kTruncated, -1, size);
  if (data[0] != 0x7f || data[1] != 'E' || data[2] != 'L' || data[3] != 'F') {
    return fail(ElfErrorKind::kBadMagic, -1, load(data, 4));
  }
  if (data[kEiClass] != kElfClass64) return fail(ElfErrorKind::kNotElf64, -1, data[kEiClass]);
  if (data[kEiData] != kElfDataLsb) return fail(ElfErrorKind::kNotLittleEndian, -1, data[kEiData]);
  if (data[kEiVersion] != kEvCurrent) return fail(ElfErrorKind::kBadVersion, -1, data[kEiVersion]);
  // EI_OSABI is not checked: Linux ignores it, and linkers write 0 (SYSV) or 3 (GNU).
  const std::uint64_t type = load(data + kEType, 2);
  const std::uint64_t machine = load(data + kEMachine, 2);
  const std::uint64_t version = load(data + kEVersion, 4);
  if (machine != kEmX86_64) return fail(ElfErrorKind::kNotX86_64, -1, machine);
  if (version != kEvCurrent) return fail(ElfErrorKind::kBadVersion, -1, version);
  if (type != kEtExec && type != kEtDyn) return fail(ElfErrorKind::kBadType, -1, type);
  const std::uint64_t ehsize = load(data + kEEhsize, 2);
  if (ehsize != kEhdrSize) return fail(ElfErrorKind::kBadHeaderSize, -1, ehsize);
  const std::uint64_t phentsize = load(data + kEPhentsize, 2);
  if (phentsize != kPhdrSize) return fail(ElfErrorKind::kBadProgramHeaderSize, -1, phentsize);
  const std::uint64_t phnum = load(data + kEPhnum, 2);
  if (phnum == 0 || phnum > kMaxProgramHeaders) {
    return fail(ElfErrorKind::kBadProgramHeaderCount, -1, phnum);
  }
  const std::uint64_t phoff = load(data + kEPhoff, 8);
  const std::uint64_t table_size = phnum * kPhdrSize;  // at most 64 * 56
  if (phoff > size || table_size > size - phoff) {
    return fail(ElfErrorKind::kProgramHeadersPastEnd, -1, phoff);
  }
  const std::uint8_t* table = data + phoff;

  // A dynamic program is named as such before anything else about its segments.
  for (std::uint32_t i = 0; i < phnum; ++i) {
    const Phdr ph = read_phdr(table + i * kPhdrSize);
    if (ph.type == kPtInterp) {
      return fail(ElfErrorKind::kDynamicallyLinked, static_cast<std::int32_t>(i), ph.offset);
    }
  }

  ElfImage image;
  image.type = type == kEtExec ? ElfType::kExec : ElfType::kPie;
  image.entry = load(data + kEEntry, 8);
  image.phent = static_cast<std::uint16_t>(phentsize);
  image.phnum = static_cast<std::uint16_t>(phnum);
  bool have_phdr = false, have_stack = false;
  std::int32_t phdr_index = -1, tls_index = -1;
  bool last_w = false, last_x = false;
  for (std::uint32_t i = 0; i < phnum; ++i) {
    const Phdr ph = read_phdr(table + i * kPhdrSize);
    const auto index = static_cast<std::int32_t>(i);
    switch (ph.type) {
      case kPtLoad: TRY_OK(add_segment(image, ph, index, size, last_w, last_x)); break;
      case kPtPhdr:
        if (have_phdr) return fail(ElfErrorKind::kDuplicateHeader, index, ph.type);
        have_phdr = true;
        phdr_index = index;
        image.phdr_vaddr = ph.vaddr;
        break;
      case kPtTls:
        if (image.tls.present) return fail(ElfErrorKind::kDuplicateHeader, index, ph.type);
        if (ph.filesz > ph.memsz || !good_align(ph.align) || ph.memsz > kMax - ph.vaddr) {
          return fail(ElfErrorKind::kBadTls, index, ph.vaddr);
        }
        image.tls = ElfTls{true, ph.vaddr, ph.filesz, ph.memsz, ph.align};
        tls_index = index;
        break;
      case kPtGnuStack:
        if (have_stack) return fail(ElfErrorKind::kDuplicateHeader, index, ph.type);
        have_stack = true;
        image.stack_executable = (ph.flags & kPfX) != 0;
        break;
      default: break;  // PT_DYNAMIC, PT_NOTE, PT_GNU_RELRO, PT_GNU_PROPERTY, ...: nothing to map
    }
  }
  if (image.segment_count == 0) return fail(ElfErrorKind::kNoLoadSegment, -1, 0);
  const ElfSegment& last = image.segments[image.segment_count - 1];
  image.start = image.segments[0].page_start();
  image.end = last.page_end();  // ascending and disjoint: the last segment ends highest
  if (image.type == ElfType::kPie && image.end - image.start >= kMaxPieSpan) {
    return fail(ElfErrorKind::kImageTooLarge, -1, image.end - image.start);
  }

  bool entry_ok = false;
  for (std::uint32_t i = 0; i < image.segment_count; ++i) {
    const ElfSegment& s = image.segments[i];
    if (s.executable && image.entry >= s.vaddr && image.entry - s.vaddr < s.mem_size) {
      entry_ok = true;
    }
  }
  if (!entry_ok) return fail(ElfErrorKind::kEntryNotExecutable, -1, image.entry);

  // AT_PHDR: PT_PHDR's address, else where the segment holding e_phoff puts the table. Either
  // way the table must really be there, in file bytes libc can read.
  if (have_phdr) {
    if (!in_file_bytes(image, image.phdr_vaddr, table_size)) {
      return fail(ElfErrorKind::kPhdrNotLoaded, phdr_index, image.phdr_vaddr);
    }
  } else {
    bool found = false;
    for (std::uint32_t i = 0; i < image.segment_count && !found; ++i) {
      const ElfSegment& s = image.segments[i];
      if (phoff >= s.offset && phoff - s.offset <= s.file_size &&
          table_size <= s.file_size - (phoff - s.offset)) {
        image.phdr_vaddr = s.vaddr + (phoff - s.offset);
        found = true;
      }
    }
    if (!found) return fail(ElfErrorKind::kPhdrNotLoaded, -1, phoff);
  }
  if (image.tls.present && image.tls.file_size > 0 &&
      !in_file_bytes(image, image.tls.vaddr, image.tls.file_size)) {
    return fail(ElfErrorKind::kBadTls, tls_index, image.tls.vaddr);
  }
  return image;
}

klib::Result<std::uint64_t, ElfError> load_bias(const ElfImage& image, std::uint64_t base) {
  if (image.type == ElfType::kExec) return std::uint64_t{0};
  const std::uint64_t span = image.end - image.start;
  if ((base & (image.align - 1)) != 0 || base < kUserLowest || base > kUserTop ||
      span > kUserTop - base) {
    return fail(ElfErrorKind::kBadLoadBase, -1, base);
  }
  return base - image.start;
}

std::uint64_t max_load_base(const ElfImage& image) {
  const std::uint64_t span = image.end - image.start;
  if (span > kUserTop - kUserLowest) return 0;
  const std::uint64_t highest = (kUserTop - span) & ~(image.align - 1);
  return highest >= kUserLowest ? highest : 0;
}

}  // namespace kexec
