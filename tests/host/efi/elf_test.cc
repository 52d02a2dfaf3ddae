// The kernel ELF validator on a well-formed file built in memory and on many broken variants of
// it, each checked for the field and offset the error names.
#include "efi/elf/validate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "efi/elf/elf64.h"

namespace {

using elf::Elf64_Ehdr;
using elf::Elf64_Phdr;
using elf::Elf64_Shdr;
using elf::Elf64_Sym;
using elf::Part;

constexpr std::uint64_t kBase = 0xffffffff80000000;

// Builds a small kernel: text (R-X) at kBase, data (RW-) two pages up with a bss tail, and a
// section table with null, .symtab, .strtab. Tests change the structures before build().
struct ElfBuilder {
  Elf64_Ehdr header{};
  std::vector<Elf64_Phdr> phdrs;
  std::vector<Elf64_Shdr> shdrs;
  bool with_sections = true;

  static constexpr std::uint64_t kTextOffset = 0x1000;
  static constexpr std::uint64_t kDataOffset = 0x2000;
  static constexpr std::uint64_t kSymOffset = 0x3000;
  static constexpr std::uint64_t kStrOffset = 0x3000 + 3 * sizeof(Elf64_Sym);
  static constexpr std::uint64_t kShOffset = 0x3100;
  static constexpr std::uint64_t kFileSize = 0x3100 + 3 * sizeof(Elf64_Shdr);

  ElfBuilder() {
    std::memcpy(header.e_ident, "\x7f" "ELF", 4);
    header.e_ident[4] = 2;
    header.e_ident[5] = 1;
    header.e_ident[6] = 1;
    header.e_type = 2;
    header.e_machine = 62;
    header.e_version = 1;
    header.e_entry = kBase + 0x10;
    header.e_phoff = sizeof(Elf64_Ehdr);
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_phentsize = sizeof(Elf64_Phdr);
    header.e_shentsize = sizeof(Elf64_Shdr);
    phdrs.push_back(Elf64_Phdr{1, elf::kPfRead | elf::kPfExecute, kTextOffset, kBase, kBase,
                               0x800, 0x800, 0x1000});
    phdrs.push_back(Elf64_Phdr{1, elf::kPfRead | elf::kPfWrite, kDataOffset, kBase + 0x2000,
                               kBase + 0x2000, 0x100, 0x3000, 0x1000});
    shdrs.push_back(Elf64_Shdr{});
    Elf64_Shdr sym{};
    sym.sh_type = elf::kShtSymtab;
    sym.sh_offset = kSymOffset;
    sym.sh_size = 3 * sizeof(Elf64_Sym);
    sym.sh_link = 2;
    sym.sh_entsize = sizeof(Elf64_Sym);
    shdrs.push_back(sym);
    Elf64_Shdr str{};
    str.sh_type = elf::kShtStrtab;
    str.sh_offset = kStrOffset;
    str.sh_size = 16;
    shdrs.push_back(str);
  }

  std::vector<std::uint8_t> build() {
    header.e_phnum = static_cast<std::uint16_t>(phdrs.size());
    if (with_sections) {
      header.e_shoff = kShOffset;
      header.e_shnum = static_cast<std::uint16_t>(shdrs.size());
    }
    std::vector<std::uint8_t> file(kFileSize, 0);
    std::memcpy(file.data(), &header, sizeof(header));
    for (std::size_t i = 0; i < phdrs.size(); ++i) {
      const std::size_t at = sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);
      if (at + sizeof(Elf64_Phdr) > file.size()) file.resize(at + sizeof(Elf64_Phdr));
      std::memcpy(file.data() + at, &phdrs[i], sizeof(Elf64_Phdr));
    }
    if (with_sections) {
      for (std::size_t i = 0; i < shdrs.size(); ++i) {
        const std::size_t at = kShOffset + i * sizeof(Elf64_Shdr);
        if (at + sizeof(Elf64_Shdr) > file.size()) file.resize(at + sizeof(Elf64_Shdr));
        std::memcpy(file.data() + at, &shdrs[i], sizeof(Elf64_Shdr));
      }
    }
    return file;
  }
};

auto validate(const std::vector<std::uint8_t>& file) {
  return elf::validate_kernel(file.data(), file.size(), kBase);
}

// The error must be in `part` number `index`, field `field`, at byte `offset`.
void expect_error(const std::vector<std::uint8_t>& file, Part part, int index,
                  const std::string& field, std::uint64_t offset) {
  auto r = validate(file);
  ASSERT_FALSE(r.ok()) << "expected an error in " << field;
  EXPECT_EQ(r.error().part, part);
  EXPECT_EQ(r.error().index, index);
  EXPECT_EQ(std::string(r.error().field), field) << r.error().problem;
  EXPECT_EQ(r.error().offset, offset);
  EXPECT_STRNE(r.error().problem, "");
}

constexpr std::uint64_t ph(int i) { return sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr); }
constexpr std::uint64_t sh(int i) { return ElfBuilder::kShOffset + i * sizeof(Elf64_Shdr); }

TEST(ElfValidate, AcceptsWellFormedKernel) {
  ElfBuilder b;
  auto r = validate(b.build());
  ASSERT_TRUE(r.ok()) << r.error().field << ": " << r.error().problem;
  const auto& layout = r.value();
  EXPECT_EQ(layout.segment_count, 2u);
  EXPECT_EQ(layout.entry, kBase + 0x10);
  EXPECT_EQ(layout.virtual_first, kBase);
  EXPECT_EQ(layout.virtual_end, kBase + 0x5000);
  EXPECT_TRUE(layout.segments[0].executable);
  EXPECT_FALSE(layout.segments[0].writable);
  EXPECT_TRUE(layout.segments[1].writable);
  EXPECT_FALSE(layout.segments[1].executable);
  EXPECT_EQ(layout.segments[1].memory_size, 0x3000u);
  EXPECT_EQ(layout.symtab.offset, ElfBuilder::kSymOffset);
  EXPECT_EQ(layout.symtab.size, 3 * sizeof(Elf64_Sym));
  EXPECT_EQ(layout.strtab.offset, ElfBuilder::kStrOffset);
  EXPECT_EQ(layout.strtab.size, 16u);
}

TEST(ElfValidate, MissingSectionTableMeansNoSymbols) {
  ElfBuilder b;
  b.with_sections = false;
  auto r = validate(b.build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().symtab.size, 0u);
  EXPECT_EQ(r.value().strtab.size, 0u);
}

TEST(ElfValidate, NoSymtabSectionIsFine) {
  ElfBuilder b;
  b.shdrs[1].sh_type = 1;  // PROGBITS
  auto r = validate(b.build());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().symtab.size, 0u);
}

TEST(ElfValidate, RejectsTruncatedFiles) {
  ElfBuilder b;
  auto file = b.build();
  for (std::size_t size : {0ul, 1ul, 63ul}) {
    auto r = elf::validate_kernel(file.data(), size, kBase);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().part, Part::kFile);
  }
  // Cut inside the text segment: the text program header names the problem.
  file.resize(ElfBuilder::kTextOffset + 0x10);
  expect_error(file, Part::kProgramHeader, 0, "p_filesz", ph(0) + 32);
}

TEST(ElfValidate, RejectsBadIdent) {
  ElfBuilder b;
  auto file = b.build();
  file[1] = 'X';
  expect_error(file, Part::kElfHeader, -1, "e_ident[EI_MAG]", 0);
  ElfBuilder c;
  c.header.e_ident[4] = 1;
  expect_error(c.build(), Part::kElfHeader, -1, "e_ident[EI_CLASS]", 4);
  ElfBuilder d;
  d.header.e_ident[5] = 2;
  expect_error(d.build(), Part::kElfHeader, -1, "e_ident[EI_DATA]", 5);
  ElfBuilder e;
  e.header.e_ident[6] = 0;
  expect_error(e.build(), Part::kElfHeader, -1, "e_ident[EI_VERSION]", 6);
}

TEST(ElfValidate, RejectsWrongTypeMachineVersion) {
  ElfBuilder a;
  a.header.e_type = 3;  // ET_DYN
  expect_error(a.build(), Part::kElfHeader, -1, "e_type", 16);
  ElfBuilder b;
  b.header.e_machine = 3;  // i386
  expect_error(b.build(), Part::kElfHeader, -1, "e_machine", 18);
  ElfBuilder c;
  c.header.e_version = 7;
  expect_error(c.build(), Part::kElfHeader, -1, "e_version", 20);
}

TEST(ElfValidate, RejectsBadProgramHeaderTable) {
  ElfBuilder a;
  a.header.e_phentsize = 32;
  expect_error(a.build(), Part::kElfHeader, -1, "e_phentsize", 54);
  ElfBuilder b;
  b.phdrs.clear();
  expect_error(b.build(), Part::kElfHeader, -1, "e_phnum", 56);
  ElfBuilder c;
  c.header.e_phoff = ElfBuilder::kFileSize - 8;
  expect_error(c.build(), Part::kElfHeader, -1, "e_phoff", 32);
  ElfBuilder d;
  d.header.e_phoff = ~0ull - 8;  // offset + table size overflows
  expect_error(d.build(), Part::kElfHeader, -1, "e_phoff", 32);
}

TEST(ElfValidate, RejectsSegmentPastEndOfFile) {
  ElfBuilder a;
  a.phdrs[1].p_filesz = 0x100000;
  a.phdrs[1].p_memsz = 0x100000;
  expect_error(a.build(), Part::kProgramHeader, 1, "p_filesz", ph(1) + 32);
  ElfBuilder b;
  b.phdrs[1].p_offset = ~0ull - 0xfff;  // offset + filesz overflows; stays page-congruent
  b.phdrs[1].p_vaddr = kBase + 0x2000;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_filesz", ph(1) + 32);
}

TEST(ElfValidate, RejectsFileSizeAboveMemorySize) {
  ElfBuilder b;
  b.phdrs[0].p_memsz = 0x10;
  expect_error(b.build(), Part::kProgramHeader, 0, "p_memsz", ph(0) + 40);
}

TEST(ElfValidate, RejectsSegmentBelowKernelBase) {
  ElfBuilder b;
  b.phdrs[0].p_vaddr = 0x1000;
  b.header.e_entry = 0x1010;
  expect_error(b.build(), Part::kProgramHeader, 0, "p_vaddr", ph(0) + 16);
}

TEST(ElfValidate, RejectsWrappingSegment) {
  ElfBuilder b;
  b.phdrs[1].p_vaddr = 0xfffffffffffff000;
  b.phdrs[1].p_offset = 0x2000;
  b.phdrs[1].p_memsz = 0x2000;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_memsz", ph(1) + 40);
}

TEST(ElfValidate, RejectsIncongruentOffset) {
  ElfBuilder b;
  b.phdrs[1].p_offset = ElfBuilder::kDataOffset + 0x10;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_offset", ph(1) + 8);
}

TEST(ElfValidate, RejectsSegmentsSharingAPage) {
  ElfBuilder b;
  b.phdrs[1].p_vaddr = kBase + 0x800;  // same page as the end of text
  b.phdrs[1].p_offset = 0x800;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_vaddr", ph(1) + 16);
}

TEST(ElfValidate, RejectsWritableExecutableSegment) {
  ElfBuilder b;
  b.phdrs[1].p_flags = elf::kPfRead | elf::kPfWrite | elf::kPfExecute;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_flags", ph(1) + 4);
}

TEST(ElfValidate, RejectsEmptySegment) {
  ElfBuilder b;
  b.phdrs[1].p_filesz = 0;
  b.phdrs[1].p_memsz = 0;
  expect_error(b.build(), Part::kProgramHeader, 1, "p_memsz", ph(1) + 40);
}

TEST(ElfValidate, RejectsEntryOutsideExecutableSegment) {
  ElfBuilder a;
  a.header.e_entry = kBase + 0x2010;  // in the data segment
  expect_error(a.build(), Part::kElfHeader, -1, "e_entry", 24);
  ElfBuilder b;
  b.header.e_entry = kBase + 0x900;  // past text memsz
  expect_error(b.build(), Part::kElfHeader, -1, "e_entry", 24);
  ElfBuilder c;
  c.header.e_entry = 0;
  expect_error(c.build(), Part::kElfHeader, -1, "e_entry", 24);
}

TEST(ElfValidate, RejectsNoLoadSegment) {
  ElfBuilder b;
  b.phdrs[0].p_type = 4;  // PT_NOTE
  b.phdrs[1].p_type = 4;
  expect_error(b.build(), Part::kElfHeader, -1, "e_phnum", 56);
}

TEST(ElfValidate, RejectsTooManyLoadSegments) {
  ElfBuilder b;
  b.phdrs.clear();
  for (std::uint64_t i = 0; i <= elf::kMaxLoadSegments; ++i) {
    b.phdrs.push_back(Elf64_Phdr{1, elf::kPfRead | elf::kPfExecute, 0x1000, kBase + i * 0x1000,
                                 0, 0x10, 0x10, 0x1000});
  }
  // 17 headers reach into 0x3c8.. which the builder grows the file for.
  expect_error(b.build(), Part::kProgramHeader, 16, "p_type", ph(16));
}

TEST(ElfValidate, IgnoresNonLoadHeaders) {
  ElfBuilder b;
  b.phdrs.push_back(Elf64_Phdr{0x6474e551 /* PT_GNU_STACK */, elf::kPfRead | elf::kPfWrite |
                               elf::kPfExecute, ~0ull, 0, 0, ~0ull, 0, 0});
  auto r = validate(b.build());
  ASSERT_TRUE(r.ok()) << r.error().problem;
  EXPECT_EQ(r.value().segment_count, 2u);
}

TEST(ElfValidate, RejectsBadSectionTable) {
  ElfBuilder a;
  a.header.e_shentsize = 40;
  expect_error(a.build(), Part::kElfHeader, -1, "e_shentsize", 58);
  ElfBuilder b;
  auto file = b.build();
  file.resize(ElfBuilder::kFileSize - 1);
  expect_error(file, Part::kElfHeader, -1, "e_shoff", 40);
}

TEST(ElfValidate, RejectsBrokenSymbolTable) {
  ElfBuilder a;
  a.shdrs[1].sh_entsize = 16;
  expect_error(a.build(), Part::kSectionHeader, 1, "sh_entsize", sh(1) + 56);
  ElfBuilder b;
  b.shdrs[1].sh_size = 25;
  expect_error(b.build(), Part::kSectionHeader, 1, "sh_entsize", sh(1) + 56);
  ElfBuilder c;
  c.shdrs[1].sh_link = 9;
  expect_error(c.build(), Part::kSectionHeader, 1, "sh_link", sh(1) + 40);
  ElfBuilder d;
  d.shdrs[1].sh_link = 0;
  expect_error(d.build(), Part::kSectionHeader, 1, "sh_link", sh(1) + 40);
  ElfBuilder e;
  e.shdrs[1].sh_offset = ElfBuilder::kFileSize;
  expect_error(e.build(), Part::kSectionHeader, 1, "sh_size", sh(1) + 32);
  ElfBuilder f;
  f.shdrs[2].sh_type = 1;
  expect_error(f.build(), Part::kSectionHeader, 2, "sh_type", sh(2) + 4);
  ElfBuilder g;
  g.shdrs[2].sh_size = ~0ull;
  expect_error(g.build(), Part::kSectionHeader, 2, "sh_size", sh(2) + 32);
}

TEST(ElfValidate, PartNames) {
  EXPECT_STREQ(elf::part_name(Part::kProgramHeader), "program header");
  EXPECT_STREQ(elf::part_name(Part::kElfHeader), "ELF header");
}

}  // namespace
