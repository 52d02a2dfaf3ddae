#include "efi/elf/validate.h"

#include <cstddef>
#include <cstring>

#include "efi/elf/elf64.h"

namespace elf {
namespace {

using klib::make_error;

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kMax = ~0ull;

// offset + length <= size, without overflowing.
constexpr bool inside(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
  return offset <= size && length <= size - offset;
}

template <typename T>
T read(const std::uint8_t* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));  // file offsets need not be aligned for T
  return value;
}

ValidationError error(Part part, int index, const char* field, std::uint64_t offset,
                      const char* problem) {
  return ValidationError{part, index, field, offset, problem};
}

ValidationError header_error(const char* field, std::size_t field_offset, const char* problem) {
  return error(Part::kElfHeader, -1, field, field_offset, problem);
}

}  // namespace

const char* part_name(Part part) {
  switch (part) {
    case Part::kFile: return "file";
    case Part::kElfHeader: return "ELF header";
    case Part::kProgramHeader: return "program header";
    case Part::kSectionHeader: return "section header";
  }
  return "?";
}

namespace {

klib::Result<Elf64_Ehdr, ValidationError> check_header(const std::uint8_t* file,
                                                       std::size_t size) {
  if (size < sizeof(Elf64_Ehdr)) {
    return make_error(error(Part::kFile, -1, "size", 0, "smaller than an ELF64 header"));
  }
  const auto h = read<Elf64_Ehdr>(file);
  if (std::memcmp(h.e_ident, kMagic, sizeof(kMagic)) != 0) {
    return make_error(header_error("e_ident[EI_MAG]", 0, "not an ELF file (bad magic)"));
  }
  if (h.e_ident[4] != kClass64) return make_error(header_error("e_ident[EI_CLASS]", 4, "not ELF64"));
  if (h.e_ident[5] != kDataLittle) {
    return make_error(header_error("e_ident[EI_DATA]", 5, "not little-endian"));
  }
  if (h.e_ident[6] != kVersionCurrent) {
    return make_error(header_error("e_ident[EI_VERSION]", 6, "unknown ELF version"));
  }
  if (h.e_type != kTypeExec) {
    return make_error(header_error("e_type", offsetof(Elf64_Ehdr, e_type),
                                   "not an executable (ET_EXEC)"));
  }
  if (h.e_machine != kMachineX86_64) {
    return make_error(header_error("e_machine", offsetof(Elf64_Ehdr, e_machine), "not x86-64"));
  }
  if (h.e_version != kVersionCurrent) {
    return make_error(header_error("e_version", offsetof(Elf64_Ehdr, e_version),
                                   "unknown ELF version"));
  }
  if (h.e_phentsize != sizeof(Elf64_Phdr)) {
    return make_error(header_error("e_phentsize", offsetof(Elf64_Ehdr, e_phentsize),
                                   "program header size is not 56"));
  }
  if (h.e_phnum == 0 || h.e_phnum == kPhNumExtended) {
    return make_error(header_error("e_phnum", offsetof(Elf64_Ehdr, e_phnum),
                                   "no program headers (or extended numbering)"));
  }
  if (!inside(h.e_phoff, std::uint64_t{h.e_phnum} * sizeof(Elf64_Phdr), size)) {
    return make_error(header_error("e_phoff", offsetof(Elf64_Ehdr, e_phoff),
                                   "program header table extends past end of file"));
  }
  return h;
}

klib::Result<LoadSegment, ValidationError> check_load(const Elf64_Phdr& p, int index,
                                                      std::uint64_t at, std::size_t size,
                                                      std::uint64_t lowest_virtual) {
  auto fail = [&](const char* field, std::size_t field_offset, const char* problem) {
    return make_error(error(Part::kProgramHeader, index, field, at + field_offset, problem));
  };
  if (!inside(p.p_offset, p.p_filesz, size)) {
    return fail("p_filesz", offsetof(Elf64_Phdr, p_filesz), "segment extends past end of file");
  }
  if (p.p_filesz > p.p_memsz) {
    return fail("p_memsz", offsetof(Elf64_Phdr, p_memsz), "memory size smaller than file size");
  }
  if (p.p_memsz == 0) return fail("p_memsz", offsetof(Elf64_Phdr, p_memsz), "empty segment");
  if (p.p_vaddr < lowest_virtual) {
    return fail("p_vaddr", offsetof(Elf64_Phdr, p_vaddr), "below the kernel virtual base");
  }
  // The end, rounded up to a page, must still be an address: vaddr + memsz + 4095 <= 2^64 - 1.
  if (p.p_memsz > kMax - p.p_vaddr || p.p_vaddr + p.p_memsz > kMax - (kPage - 1)) {
    return fail("p_memsz", offsetof(Elf64_Phdr, p_memsz), "segment wraps the address space");
  }
  if ((p.p_vaddr - p.p_offset) % kPage != 0) {
    return fail("p_offset", offsetof(Elf64_Phdr, p_offset),
                "offset and address differ modulo the page size");
  }
  if ((p.p_flags & kPfWrite) && (p.p_flags & kPfExecute)) {
    return fail("p_flags", offsetof(Elf64_Phdr, p_flags), "segment is writable and executable");
  }
  return LoadSegment{p.p_offset, p.p_vaddr, p.p_filesz, p.p_memsz,
                     (p.p_flags & kPfWrite) != 0, (p.p_flags & kPfExecute) != 0};
}

constexpr std::uint64_t page_down(std::uint64_t v) { return v & ~(kPage - 1); }
constexpr std::uint64_t page_up(std::uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// Finds .symtab and its string table. Absent section headers mean no symbols, not an error;
// present but broken ones are an error (a corrupt file should not boot half-checked).
klib::Result<KernelLayout, ValidationError> check_symbols(const std::uint8_t* file,
                                                          std::size_t size,
                                                          const Elf64_Ehdr& h,
                                                          KernelLayout layout) {
  if (h.e_shoff == 0 || h.e_shnum == 0) return layout;
  if (h.e_shentsize != sizeof(Elf64_Shdr)) {
    return make_error(header_error("e_shentsize", offsetof(Elf64_Ehdr, e_shentsize),
                                   "section header size is not 64"));
  }
  if (!inside(h.e_shoff, std::uint64_t{h.e_shnum} * sizeof(Elf64_Shdr), size)) {
    return make_error(header_error("e_shoff", offsetof(Elf64_Ehdr, e_shoff),
                                   "section header table extends past end of file"));
  }
  for (int i = 0; i < h.e_shnum; ++i) {
    const std::uint64_t at = h.e_shoff + std::uint64_t(i) * sizeof(Elf64_Shdr);
    const auto s = read<Elf64_Shdr>(file + at);
    if (s.sh_type != kShtSymtab) continue;
    auto fail = [&](int index, std::uint64_t base, const char* field, std::size_t field_offset,
                    const char* problem) {
      return make_error(error(Part::kSectionHeader, index, field, base + field_offset, problem));
    };
    if (!inside(s.sh_offset, s.sh_size, size)) {
      return fail(i, at, "sh_size", offsetof(Elf64_Shdr, sh_size),
                  "symbol table extends past end of file");
    }
    if (s.sh_entsize != sizeof(Elf64_Sym) || s.sh_size % sizeof(Elf64_Sym) != 0) {
      return fail(i, at, "sh_entsize", offsetof(Elf64_Shdr, sh_entsize),
                  "symbol entry size is not 24");
    }
    if (s.sh_link == 0 || s.sh_link >= h.e_shnum) {
      return fail(i, at, "sh_link", offsetof(Elf64_Shdr, sh_link),
                  "string table index out of range");
    }
    const std::uint64_t str_at = h.e_shoff + std::uint64_t(s.sh_link) * sizeof(Elf64_Shdr);
    const auto str = read<Elf64_Shdr>(file + str_at);
    const int str_index = static_cast<int>(s.sh_link);
    if (str.sh_type != kShtStrtab) {
      return fail(str_index, str_at, "sh_type", offsetof(Elf64_Shdr, sh_type),
                  "symbol table links to a section that is not a string table");
    }
    if (!inside(str.sh_offset, str.sh_size, size)) {
      return fail(str_index, str_at, "sh_size", offsetof(Elf64_Shdr, sh_size),
                  "string table extends past end of file");
    }
    layout.symtab = FileRange{s.sh_offset, s.sh_size};
    layout.strtab = FileRange{str.sh_offset, str.sh_size};
    return layout;  // one symbol table is all a static executable has
  }
  return layout;
}

}  // namespace

klib::Result<KernelLayout, ValidationError> validate_kernel(const std::uint8_t* file,
                                                            std::size_t size,
                                                            std::uint64_t lowest_virtual) {
  const Elf64_Ehdr h = TRY(check_header(file, size));
  KernelLayout layout{};
  for (int i = 0; i < h.e_phnum; ++i) {
    const std::uint64_t at = h.e_phoff + std::uint64_t(i) * sizeof(Elf64_Phdr);
    const auto p = read<Elf64_Phdr>(file + at);
    if (p.p_type != kPtLoad) continue;
    if (layout.segment_count == kMaxLoadSegments) {
      return make_error(error(Part::kProgramHeader, i, "p_type", at, "too many PT_LOAD segments"));
    }
    const LoadSegment segment = TRY(check_load(p, i, at, size, lowest_virtual));
    const std::uint64_t first = page_down(segment.virtual_address);
    const std::uint64_t end = page_up(segment.virtual_address + segment.memory_size);
    for (std::size_t j = 0; j < layout.segment_count; ++j) {
      const LoadSegment& other = layout.segments[j];
      const std::uint64_t other_first = page_down(other.virtual_address);
      const std::uint64_t other_end = page_up(other.virtual_address + other.memory_size);
      if (first < other_end && other_first < end) {
        return make_error(error(Part::kProgramHeader, i, "p_vaddr",
                                at + offsetof(Elf64_Phdr, p_vaddr),
                                "segment shares a page with an earlier segment"));
      }
    }
    if (layout.segment_count == 0 || first < layout.virtual_first) layout.virtual_first = first;
    if (end > layout.virtual_end) layout.virtual_end = end;
    layout.segments[layout.segment_count++] = segment;
  }
  if (layout.segment_count == 0) {
    return make_error(header_error("e_phnum", offsetof(Elf64_Ehdr, e_phnum),
                                   "no PT_LOAD segment"));
  }
  bool entry_ok = false;
  for (std::size_t j = 0; j < layout.segment_count; ++j) {
    const LoadSegment& s = layout.segments[j];
    if (s.executable && h.e_entry >= s.virtual_address &&
        h.e_entry - s.virtual_address < s.memory_size) {
      entry_ok = true;
    }
  }
  if (!entry_ok) {
    return make_error(header_error("e_entry", offsetof(Elf64_Ehdr, e_entry),
                                   "entry point is not inside an executable segment"));
  }
  layout.entry = h.e_entry;
  return check_symbols(file, size, h, layout);
}

}  // namespace elf
