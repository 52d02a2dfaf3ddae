#include "kernel/vdso/vdso_image.h"

#include "kernel/vdso/vvar.h"

namespace kvdso {
namespace {

constexpr std::uint64_t kPageSize = 4096;
// ELF constants (System V gABI; <elf.h>).
constexpr std::uint16_t kEtDyn = 3, kEmX86_64 = 62;
constexpr std::uint32_t kPtLoad = 1, kPtDynamic = 2;
constexpr std::uint32_t kPfX = 1, kPfW = 2, kPfR = 4;
constexpr std::int64_t kDtNull = 0, kDtHash = 4, kDtStrtab = 5, kDtSymtab = 6, kDtRela = 7,
                       kDtStrsz = 10, kDtRel = 17, kDtTextrel = 22, kDtJmprel = 23,
                       kDtVersym = 0x6ffffff0, kDtVerdef = 0x6ffffffc;
constexpr std::uint64_t kEhdrSize = 64, kPhdrSize = 56, kDynSize = 16, kSymSize = 24,
                        kVerdefSize = 20, kVerdauxSize = 8;
constexpr std::uint16_t kVerFlgBase = 1;
// musl's OK_TYPES and OK_BINDS.
constexpr std::uint32_t kOkTypes = 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5;  // NOTYPE OBJECT FUNC COMMON
constexpr std::uint32_t kOkBinds = 1u << 1 | 1u << 2 | 1u << 10;          // GLOBAL WEAK GNU_UNIQUE
// Bounds every walk: an image of this many version definitions or dynamic entries is broken.
constexpr std::uint32_t kMaxWalk = 4096;

// Bounds-checked little-endian reads of the image.
struct Bytes {
  const std::uint8_t* data;
  std::uint64_t size;

  bool has(std::uint64_t offset, std::uint64_t length) const {
    return offset <= size && length <= size - offset;
  }
  template <typename T>
  bool read(std::uint64_t offset, T* out) const {
    if (!has(offset, sizeof(T))) return false;
    __builtin_memcpy(out, data + offset, sizeof(T));
    return true;
  }
  // The NUL-terminated string at `offset` equals `s` (false when it runs off the image).
  bool string_is(std::uint64_t offset, std::uint64_t limit, const char* s) const {
    for (std::uint64_t i = 0;; ++i) {
      if (offset + i >= limit || offset + i >= size) return false;
      const char c = static_cast<char>(data[offset + i]);
      if (c != s[i]) return false;
      if (c == '\0') return true;
    }
  }
};

// The tables the dynamic section names (offsets: address = offset in this image).
struct Tables {
  std::uint64_t hash = 0, strtab = 0, strsz = 0, symtab = 0, versym = 0, verdef = 0;
  std::uint32_t symbols = 0;  // nchain of DT_HASH
  std::uint64_t load_end = 0;
};

klib::Result<Tables, ImageError> read_tables(const Bytes& b) {
  auto fail = [](ImageErrorKind k, std::uint64_t v = 0) {
    return klib::make_error(ImageError{k, v});
  };
  if (!b.has(0, kEhdrSize)) return fail(ImageErrorKind::kTooSmall);
  const std::uint8_t* e = b.data;
  std::uint16_t type = 0, machine = 0, phentsize = 0, phnum = 0;
  std::uint32_t version = 0;
  std::uint64_t phoff = 0;
  (void)b.read(16, &type), (void)b.read(18, &machine), (void)b.read(20, &version);
  (void)b.read(32, &phoff), (void)b.read(54, &phentsize), (void)b.read(56, &phnum);
  if (e[0] != 0x7f || e[1] != 'E' || e[2] != 'L' || e[3] != 'F' || e[4] != 2 /* ELFCLASS64 */ ||
      e[5] != 1 /* little-endian */ || machine != kEmX86_64 || version != 1) {
    return fail(ImageErrorKind::kNotElf64X86);
  }
  if (type != kEtDyn) return fail(ImageErrorKind::kNotSharedObject, type);
  if (phentsize != kPhdrSize || phnum == 0 || phoff > b.size ||
      !b.has(phoff, std::uint64_t{phnum} * kPhdrSize)) {
    return fail(ImageErrorKind::kBadProgramHeaders);
  }
  Tables t{};
  unsigned loads = 0;
  std::uint64_t dynamic = 0, dynamic_size = 0;
  for (std::uint16_t i = 0; i < phnum; ++i) {
    const std::uint64_t p = phoff + std::uint64_t{i} * kPhdrSize;
    std::uint32_t ptype = 0, flags = 0;
    std::uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
    (void)b.read(p, &ptype), (void)b.read(p + 4, &flags), (void)b.read(p + 8, &offset);
    (void)b.read(p + 16, &vaddr), (void)b.read(p + 32, &filesz), (void)b.read(p + 40, &memsz);
    if (ptype == kPtLoad) {
      ++loads;
      if (offset != 0 || vaddr != 0 || filesz != memsz || !b.has(0, filesz) ||
          (flags & (kPfR | kPfX)) != (kPfR | kPfX) || (flags & kPfW) != 0) {
        return fail(ImageErrorKind::kBadLoadSegment, i);
      }
      t.load_end = filesz;
    } else if (ptype == kPtDynamic) {
      dynamic = offset;
      dynamic_size = filesz;
      if (vaddr != offset) return fail(ImageErrorKind::kNoDynamic);
    }
  }
  if (loads != 1) return fail(ImageErrorKind::kBadLoadSegment, loads);
  if (dynamic_size == 0 || dynamic > t.load_end || dynamic_size > t.load_end - dynamic) {
    return fail(ImageErrorKind::kNoDynamic);
  }
  for (std::uint64_t d = dynamic, n = 0; d + kDynSize <= dynamic + dynamic_size && n < kMaxWalk;
       d += kDynSize, ++n) {
    std::int64_t tag = 0;
    std::uint64_t value = 0;
    (void)b.read(d, &tag), (void)b.read(d + 8, &value);
    if (tag == kDtNull) break;
    switch (tag) {
      case kDtHash: t.hash = value; break;
      case kDtStrtab: t.strtab = value; break;
      case kDtStrsz: t.strsz = value; break;
      case kDtSymtab: t.symtab = value; break;
      case kDtVersym: t.versym = value; break;
      case kDtVerdef: t.verdef = value; break;
      case kDtRel:
      case kDtRela:
      case kDtJmprel:
      case kDtTextrel: return fail(ImageErrorKind::kRelocations, static_cast<std::uint64_t>(tag));
      default: break;
    }
  }
  // Each table inside the load segment (musl reads them at base + d_ptr).
  if (t.hash == 0 || !b.has(t.hash, 8) || t.hash + 8 > t.load_end) {
    return fail(ImageErrorKind::kMissingTable, kDtHash);
  }
  (void)b.read(t.hash + 4, &t.symbols);  // nchain: the number of symbols
  const std::uint64_t symbytes = std::uint64_t{t.symbols} * kSymSize;
  if (t.symtab == 0 || t.symtab > t.load_end || symbytes > t.load_end - t.symtab) {
    return fail(ImageErrorKind::kMissingTable, kDtSymtab);
  }
  if (t.strtab == 0 || t.strtab >= t.load_end) return fail(ImageErrorKind::kMissingTable, kDtStrtab);
  if (t.strsz == 0 || t.strsz > t.load_end - t.strtab) t.strsz = t.load_end - t.strtab;
  if (t.versym == 0 || t.versym > t.load_end || std::uint64_t{t.symbols} * 2 > t.load_end - t.versym) {
    return fail(ImageErrorKind::kMissingTable, kDtVersym);
  }
  if (t.verdef == 0 || t.verdef > t.load_end || kVerdefSize > t.load_end - t.verdef) {
    return fail(ImageErrorKind::kMissingTable, kDtVerdef);
  }
  return t;
}

// musl's checkver: the version definition with index `index` (not the base one) is named `name`.
bool version_matches(const Bytes& b, const Tables& t, std::uint16_t index, const char* name) {
  index &= 0x7fff;
  std::uint64_t def = t.verdef;
  for (std::uint32_t n = 0; n < kMaxWalk; ++n) {
    std::uint16_t flags = 0, ndx = 0;
    std::uint32_t aux = 0, next = 0;
    if (!b.has(def, kVerdefSize) || def + kVerdefSize > t.load_end) return false;
    (void)b.read(def + 2, &flags), (void)b.read(def + 4, &ndx);
    (void)b.read(def + 12, &aux), (void)b.read(def + 16, &next);
    if ((flags & kVerFlgBase) == 0 && (ndx & 0x7fff) == index) {
      std::uint32_t vda_name = 0;
      if (!b.has(def + aux, kVerdauxSize) || !b.read(def + aux, &vda_name)) return false;
      return b.string_is(t.strtab + vda_name, t.strtab + t.strsz, name);
    }
    if (next == 0) return false;
    def += next;
  }
  return false;
}

std::uint64_t lookup(const Bytes& b, const Tables& t, const char* name, const char* version) {
  for (std::uint32_t i = 0; i < t.symbols; ++i) {
    const std::uint64_t s = t.symtab + std::uint64_t{i} * kSymSize;
    std::uint32_t st_name = 0;
    std::uint8_t info = 0;
    std::uint16_t shndx = 0, versym = 0;
    std::uint64_t value = 0;
    (void)b.read(s, &st_name), (void)b.read(s + 4, &info), (void)b.read(s + 6, &shndx);
    (void)b.read(s + 8, &value);
    if ((kOkTypes & (1u << (info & 0xf))) == 0) continue;
    if ((kOkBinds & (1u << (info >> 4))) == 0) continue;
    if (shndx == 0) continue;  // undefined
    if (st_name >= t.strsz || !b.string_is(t.strtab + st_name, t.strtab + t.strsz, name)) continue;
    (void)b.read(t.versym + std::uint64_t{i} * 2, &versym);
    if (!version_matches(b, t, versym, version)) continue;
    return value;
  }
  return 0;
}

}  // namespace

const char* describe(ImageErrorKind kind) {
  switch (kind) {
    case ImageErrorKind::kTooSmall: return "too small for its headers";
    case ImageErrorKind::kNotElf64X86: return "not an ELF64 x86-64 little-endian file";
    case ImageErrorKind::kNotSharedObject: return "not a shared object (e_type)";
    case ImageErrorKind::kBadProgramHeaders: return "program headers malformed or outside the file";
    case ImageErrorKind::kBadLoadSegment:
      return "not exactly one read+execute PT_LOAD at offset 0, address 0, inside the file";
    case ImageErrorKind::kNoDynamic: return "no PT_DYNAMIC inside the load segment";
    case ImageErrorKind::kMissingTable: return "a dynamic table is missing or outside (tag)";
    case ImageErrorKind::kRelocations: return "has relocations (tag)";
    case ImageErrorKind::kMissingSymbol: return "a required symbol@LINUX_2.6 is missing (index)";
    case ImageErrorKind::kSymbolOutside: return "a required symbol lies outside the image (index)";
    case ImageErrorKind::kVvarAbiMismatch: return "built for another vvar layout (its version)";
  }
  return "?";
}

klib::Result<ImageInfo, ImageError> check_image(const std::uint8_t* image, std::size_t size) {
  const Bytes b{image, size};
  auto tables = read_tables(b);
  if (!tables) return klib::make_error(tables.error());
  const Tables& t = tables.value();
  std::uint64_t found[sizeof(kRequiredSymbols) / sizeof(kRequiredSymbols[0])] = {};
  for (std::uint64_t i = 0; i < sizeof(found) / sizeof(found[0]); ++i) {
    found[i] = lookup(b, t, kRequiredSymbols[i], kSymbolVersion);
    if (found[i] == 0) return klib::make_error(ImageError{ImageErrorKind::kMissingSymbol, i});
    if (found[i] >= t.load_end) return klib::make_error(ImageError{ImageErrorKind::kSymbolOutside, i});
  }
  std::uint32_t abi = 0;
  const std::uint64_t abi_at = found[5];  // pleiades_vvar_abi
  if (abi_at + sizeof(abi) > t.load_end || !b.read(abi_at, &abi)) {
    return klib::make_error(ImageError{ImageErrorKind::kSymbolOutside, 5});
  }
  if (abi != PLEIADES_VVAR_ABI) return klib::make_error(ImageError{ImageErrorKind::kVvarAbiMismatch, abi});
  ImageInfo info;
  info.pages = (t.load_end + kPageSize - 1) / kPageSize;
  info.clock_gettime = found[0];
  info.getcpu = found[3];
  return info;
}

std::uint64_t find_symbol(const std::uint8_t* image, std::size_t size, const char* name,
                          const char* version) {
  const Bytes b{image, size};
  auto tables = read_tables(b);
  return tables ? lookup(b, tables.value(), name, version) : 0;
}

}  // namespace kvdso
