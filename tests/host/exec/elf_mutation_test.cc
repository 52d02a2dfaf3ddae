// Every check of the ELF reader, one at a time: a real executable (tiny_exec, tiny_pie from
// make_fixtures.sh) with one field broken must be refused with exactly the kind, program
// header and value that name that field.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "kernel/exec/elf_image.h"
#include "tests/host/exec/elf_bytes.h"

namespace {

using namespace exec_test;
using kexec::ElfErrorKind;

constexpr std::int32_t kFileHeader = -1;

ElfBytes tiny(const char* name) {
  ElfBytes elf(read_file(fixture_path(name)));
  EXPECT_FALSE(elf.bytes().empty()) << name;
  EXPECT_TRUE(elf.parse().ok()) << name << " must parse before it is broken";
  return elf;
}

// Breaks a copy of fixture `name` with `edit`, then expects exactly `kind` at `header` with
// `value`.
void expect_refused(const char* name, const std::function<void(ElfBytes&)>& edit, ElfErrorKind kind,
                    std::int32_t header, std::uint64_t value) {
  ElfBytes elf = tiny(name);
  edit(elf);
  auto parsed = elf.parse();
  ASSERT_FALSE(parsed.ok()) << "the broken file was accepted";
  EXPECT_EQ(parsed.error().kind, kind) << kexec::describe(parsed.error().kind);
  EXPECT_EQ(parsed.error().header, header);
  EXPECT_EQ(parsed.error().value, value);
}

// Indices in tiny_exec / tiny_pie (looked up, not assumed).
std::size_t load(const char* name, std::size_t nth) { return tiny(name).headers(kPtLoad).at(nth); }
std::size_t code(const char* name) {
  const ElfBytes elf = tiny(name);
  for (std::size_t i : elf.headers(kPtLoad)) {
    if (elf.ph_get(i, kPFlags) & kPfX) return i;
  }
  ADD_FAILURE() << "no code segment";
  return 0;
}
std::size_t only(const char* name, std::uint32_t type) { return tiny(name).headers(type).at(0); }
std::int32_t idx(std::size_t i) { return static_cast<std::int32_t>(i); }

TEST(ElfMutation, FileHeader) {
  {
    ElfBytes elf = tiny("tiny_exec");
    auto parsed = kexec::parse_elf(elf.bytes().data(), 63);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().kind, ElfErrorKind::kTruncated);
    EXPECT_EQ(parsed.error().value, 63u);
  }
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(1, 1, 'e'); }, ElfErrorKind::kBadMagic, kFileHeader,
      0x464c657f);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(4, 1, 1); }, ElfErrorKind::kNotElf64, kFileHeader, 1);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(5, 1, 2); }, ElfErrorKind::kNotLittleEndian, kFileHeader,
      2);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(6, 1, 0); }, ElfErrorKind::kBadVersion, kFileHeader, 0);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEVersion, 4, 2); }, ElfErrorKind::kBadVersion,
      kFileHeader, 2);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEMachine, 2, 3); }, ElfErrorKind::kNotX86_64,
      kFileHeader, 3);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEType, 2, 1); }, ElfErrorKind::kBadType, kFileHeader,
      1);  // ET_REL: an object file
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEType, 2, 4); }, ElfErrorKind::kBadType, kFileHeader,
      4);  // ET_CORE
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEEhsize, 2, 52); }, ElfErrorKind::kBadHeaderSize,
      kFileHeader, 52);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEPhentsize, 2, 32); },
      ElfErrorKind::kBadProgramHeaderSize, kFileHeader, 32);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEPhnum, 2, 0); }, ElfErrorKind::kBadProgramHeaderCount,
      kFileHeader, 0);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEPhnum, 2, 0xffff); },
      ElfErrorKind::kBadProgramHeaderCount, kFileHeader, 0xffff);  // PN_XNUM
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEPhnum, 2, kexec::kMaxProgramHeaders + 1); },
      ElfErrorKind::kBadProgramHeaderCount, kFileHeader, kexec::kMaxProgramHeaders + 1);
}

TEST(ElfMutation, ProgramHeaderTable) {
  const std::uint64_t size = tiny("tiny_exec").bytes().size();
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.set(kEPhoff, 8, size - 100); },
      ElfErrorKind::kProgramHeadersPastEnd, kFileHeader, size - 100);
  expect_refused(
      "tiny_exec", [](ElfBytes& e) { e.set(kEPhoff, 8, ~std::uint64_t{0} - 8); },
      ElfErrorKind::kProgramHeadersPastEnd, kFileHeader, ~std::uint64_t{0} - 8);
  // A table one header longer than the file holds (truncate the file right after it).
  ElfBytes elf = tiny("tiny_exec");
  const std::uint64_t table_end = elf.get(kEPhoff, 8) + elf.phnum() * 56;
  auto parsed = kexec::parse_elf(elf.bytes().data(), table_end - 1);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ElfErrorKind::kProgramHeadersPastEnd);
}

TEST(ElfMutation, InterpreterAndDuplicates) {
  const std::size_t stack = only("tiny_exec", kPtGnuStack);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(stack, kPType, kPtInterp); },
      ElfErrorKind::kDynamicallyLinked, idx(stack), tiny("tiny_exec").ph_get(stack, kPOffset));
  expect_refused(
      "tiny_pie", [&](ElfBytes& e) { e.ph_set(only("tiny_pie", kPtGnuStack), kPType, kPtInterp); },
      ElfErrorKind::kDynamicallyLinked, idx(only("tiny_pie", kPtGnuStack)), 0);
  // The stack header turned into a second PT_TLS.
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(stack, kPType, kPtTls); },
      ElfErrorKind::kDuplicateHeader, idx(std::max(stack, only("tiny_exec", kPtTls))), kPtTls);
  // The TLS header turned into a second PT_GNU_STACK.
  const std::size_t tls = only("tiny_exec", kPtTls);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(tls, kPType, kPtGnuStack); },
      ElfErrorKind::kDuplicateHeader, idx(std::max(stack, tls)), kPtGnuStack);
}

TEST(ElfMutation, SegmentFields) {
  const std::size_t c = code("tiny_exec");
  const ElfBytes orig = tiny("tiny_exec");
  const std::uint64_t size = orig.bytes().size();
  const std::uint64_t cv = orig.ph_get(c, kPVaddr);
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(c, kPMemsz, 0);
        e.ph_set(c, kPFilesz, 0);
      },
      ElfErrorKind::kEmptySegment, idx(c), cv);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPFilesz, e.ph_get(c, kPMemsz) + 1); },
      ElfErrorKind::kFileSizeAboveMemSize, idx(c), orig.ph_get(c, kPMemsz) + 1);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPOffset, size); }, ElfErrorKind::kSegmentPastEnd,
      idx(c), size);
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(c, kPFilesz, size);
        e.ph_set(c, kPMemsz, size);
      },
      ElfErrorKind::kSegmentPastEnd, idx(c), orig.ph_get(c, kPOffset));
  // offset + filesz wraps to a small number.
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(c, kPOffset, 0xfffffffffffff000);
        e.ph_set(c, kPFilesz, 0x2000);
        e.ph_set(c, kPMemsz, 0x2000);
      },
      ElfErrorKind::kSegmentPastEnd, idx(c), 0xfffffffffffff000);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPMemsz, ~std::uint64_t{0} - cv); },
      ElfErrorKind::kSegmentWraps, idx(c), cv);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPAlign, 0x3000); }, ElfErrorKind::kBadAlignment,
      idx(c), 0x3000);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPAlign, std::uint64_t{1} << 31); },
      ElfErrorKind::kBadAlignment, idx(c), std::uint64_t{1} << 31);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPVaddr, cv + 8); },
      ElfErrorKind::kMisalignedSegment, idx(c), cv + 8);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(c, kPFlags, kPfR | kPfW | kPfX); },
      ElfErrorKind::kWritableExecutable, idx(c), cv);
  const std::size_t data = load("tiny_exec", orig.headers(kPtLoad).size() - 1);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(data, kPFlags, kPfR | kPfW | kPfX); },
      ElfErrorKind::kWritableExecutable, idx(data), orig.ph_get(data, kPVaddr));
}

TEST(ElfMutation, SegmentOrderAndPlace) {
  const ElfBytes orig = tiny("tiny_exec");
  const auto loads = orig.headers(kPtLoad);
  ASSERT_GE(loads.size(), 3u);
  // The second and third PT_LOAD swapped: the third's address comes before the second's.
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        for (std::size_t f = 0; f < 56; ++f) {
          const std::uint64_t a = e.get(e.ph(loads[1], 0) + f, 1);
          e.set(e.ph(loads[1], 0) + f, 1, e.get(e.ph(loads[2], 0) + f, 1));
          e.set(e.ph(loads[2], 0) + f, 1, a);
        }
      },
      ElfErrorKind::kSegmentsOutOfOrder, idx(loads[2]), orig.ph_get(loads[1], kPVaddr));
  // The first segment grown into the second.
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(loads[0], kPMemsz, e.ph_get(loads[1], kPVaddr) - e.ph_get(loads[0], kPVaddr) + 1);
      },
      ElfErrorKind::kSegmentsOverlap, idx(loads[1]), orig.ph_get(loads[1], kPVaddr));
  // ET_EXEC at page 0 (offset 0, so the page offsets still agree) and at the top.
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(loads[0], kPVaddr, 0); },
      ElfErrorKind::kOutsideUserRange, idx(loads[0]), 0);
  const std::size_t last = loads.back();
  const std::uint64_t high = 0x00007ffffffff000 + (orig.ph_get(last, kPOffset) & 0xfff);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(last, kPVaddr, high); },
      ElfErrorKind::kOutsideUserRange, idx(last), high);
  const std::uint64_t kernel = 0xffffffff80000000 + (orig.ph_get(last, kPOffset) & 0xfff);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(last, kPVaddr, kernel); },
      ElfErrorKind::kOutsideUserRange, idx(last), kernel);
  // A PIE may start at 0, but not span a TiB.
  const ElfBytes pie = tiny("tiny_pie");
  const std::size_t pie_last = pie.headers(kPtLoad).back();
  const std::uint64_t far = (std::uint64_t{1} << 40) + (pie.ph_get(pie_last, kPOffset) & 0xfff);
  const std::uint64_t span =
      ((far + pie.ph_get(pie_last, kPMemsz) + 0xfff) & ~std::uint64_t{0xfff});
  expect_refused(
      "tiny_pie", [&](ElfBytes& e) { e.ph_set(pie_last, kPVaddr, far); },
      ElfErrorKind::kImageTooLarge, kFileHeader, span);
}

TEST(ElfMutation, WholeImage) {
  const ElfBytes orig = tiny("tiny_exec");
  const auto loads = orig.headers(kPtLoad);
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        for (std::size_t i : loads) e.ph_set(i, kPType, kPtNote);
      },
      ElfErrorKind::kNoLoadSegment, kFileHeader, 0);
  // Entry in the data segment, at 0, and one past the end of the code.
  const std::uint64_t data_vaddr = orig.ph_get(loads.back(), kPVaddr);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.set(kEEntry, 8, data_vaddr); },
      ElfErrorKind::kEntryNotExecutable, kFileHeader, data_vaddr);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.set(kEEntry, 8, 0); }, ElfErrorKind::kEntryNotExecutable,
      kFileHeader, 0);
  const std::size_t c = code("tiny_exec");
  const std::uint64_t code_end = orig.ph_get(c, kPVaddr) + orig.ph_get(c, kPMemsz);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.set(kEEntry, 8, code_end); },
      ElfErrorKind::kEntryNotExecutable, kFileHeader, code_end);
  // More PT_LOADs than an image may have: the NOTE-like headers cannot be turned into loads
  // without also being ordered, so a file is written from scratch with 17 page-sized ones.
  std::vector<Header> many;
  for (std::uint64_t i = 0; i <= kexec::kMaxLoadSegments; ++i) {
    many.push_back({kPtLoad, i == 1 ? kPfR | kPfX : kPfR, i * 0x1000, 0x400000 + i * 0x1000, 0x400,
                    0x400, 0x1000});
  }
  auto too_many = synthetic_elf(2, 0x401000, many, (kexec::kMaxLoadSegments + 1) * 0x1000).parse();
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind, ElfErrorKind::kTooManySegments);
  EXPECT_EQ(too_many.error().header, idx(kexec::kMaxLoadSegments));
  many.pop_back();
  EXPECT_TRUE(synthetic_elf(2, 0x401000, many, kexec::kMaxLoadSegments * 0x1000).parse().ok());
}

TEST(ElfMutation, ProgramHeadersInMemory) {
  const ElfBytes orig = tiny("tiny_exec");
  const auto loads = orig.headers(kPtLoad);
  // No PT_PHDR: the table is found through the first segment; shrink its file bytes and the
  // table is no longer loaded.
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(loads[0], kPFilesz, 0x40); },
      ElfErrorKind::kPhdrNotLoaded, kFileHeader, orig.get(kEPhoff, 8));
  // A PT_PHDR pointing into the .bss (memory, but no file bytes) and one pointing nowhere.
  const std::size_t stack = only("tiny_exec", kPtGnuStack);
  const std::size_t data = loads.back();
  const std::uint64_t bss = orig.ph_get(data, kPVaddr) + orig.ph_get(data, kPFilesz);
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(stack, kPType, kPtPhdr);
        e.ph_set(stack, kPVaddr, bss);
      },
      ElfErrorKind::kPhdrNotLoaded, idx(stack), bss);
  expect_refused(
      "tiny_exec",
      [&](ElfBytes& e) {
        e.ph_set(stack, kPType, kPtPhdr);
        e.ph_set(stack, kPVaddr, 0x10000000);
      },
      ElfErrorKind::kPhdrNotLoaded, idx(stack), 0x10000000);
  // A PT_PHDR that is right: accepted, and used.
  ElfBytes good = tiny("tiny_exec");
  good.ph_set(stack, kPType, kPtPhdr);
  good.ph_set(stack, kPVaddr, orig.ph_get(loads[0], kPVaddr) + orig.get(kEPhoff, 8));
  auto parsed = good.parse();
  ASSERT_TRUE(parsed.ok()) << kexec::describe(parsed.error().kind);
  EXPECT_EQ(parsed.value().phdr_vaddr, orig.ph_get(loads[0], kPVaddr) + orig.get(kEPhoff, 8));
}

TEST(ElfMutation, ThreadLocalStorage) {
  const ElfBytes orig = tiny("tiny_exec");
  const std::size_t tls = only("tiny_exec", kPtTls);
  const std::uint64_t tv = orig.ph_get(tls, kPVaddr);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(tls, kPFilesz, e.ph_get(tls, kPMemsz) + 1); },
      ElfErrorKind::kBadTls, idx(tls), tv);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(tls, kPAlign, 12); }, ElfErrorKind::kBadTls,
      idx(tls), tv);
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(tls, kPMemsz, ~std::uint64_t{0}); },
      ElfErrorKind::kBadTls, idx(tls), tv);
  // The template outside the loaded file bytes.
  expect_refused(
      "tiny_exec", [&](ElfBytes& e) { e.ph_set(tls, kPVaddr, 0x10000000); }, ElfErrorKind::kBadTls,
      idx(tls), 0x10000000);
}

}  // namespace
