// The ELF reader on real executables: built by the host's compilers at test-build time
// (make_fixtures.sh), read back and compared with their own headers; the dynamically linked
// test binary itself refused; where the loader puts a static-PIE (load_bias); and the page
// sharing rule on small files written from scratch.
#include "kernel/exec/elf_image.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/host/exec/elf_bytes.h"

namespace {

using exec_test::ElfBytes;
using exec_test::Header;
using kexec::ElfErrorKind;
using kexec::ElfImage;
using kexec::ElfType;
using namespace exec_test;

std::string error_text(const kexec::ElfError& e) {
  char text[200];
  fmt::FixedBuffer buffer(text, sizeof(text));
  kexec::format_elf_error(buffer, e);
  return text;
}

// Checks every field of `image` against the raw headers of `elf`, and the rules it promises.
void expect_matches_headers(const ElfBytes& elf, const ElfImage& image) {
  EXPECT_EQ(image.entry, elf.get(kEEntry, 8));
  EXPECT_EQ(image.phent, 56);
  EXPECT_EQ(image.phnum, elf.phnum());
  const auto loads = elf.headers(kPtLoad);
  ASSERT_EQ(image.segment_count, loads.size());
  bool entry_in_code = false;
  for (std::size_t i = 0; i < loads.size(); ++i) {
    const kexec::ElfSegment& s = image.segments[i];
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(s.header_index, loads[i]);
    EXPECT_EQ(s.vaddr, elf.ph_get(loads[i], kPVaddr));
    EXPECT_EQ(s.offset, elf.ph_get(loads[i], kPOffset));
    EXPECT_EQ(s.file_size, elf.ph_get(loads[i], kPFilesz));
    EXPECT_EQ(s.mem_size, elf.ph_get(loads[i], kPMemsz));
    const std::uint64_t flags = elf.ph_get(loads[i], kPFlags);
    EXPECT_EQ(s.readable, (flags & kPfR) != 0);
    EXPECT_EQ(s.writable, (flags & kPfW) != 0);
    EXPECT_EQ(s.executable, (flags & kPfX) != 0);
    EXPECT_FALSE(s.writable && s.executable);
    if (i > 0) {
      EXPECT_GE(s.vaddr, image.segments[i - 1].vaddr + image.segments[i - 1].mem_size);
    }
    if (s.executable && image.entry >= s.vaddr && image.entry < s.vaddr + s.mem_size) {
      entry_in_code = true;
    }
  }
  EXPECT_TRUE(entry_in_code);
  EXPECT_EQ(image.start, image.segments[0].vaddr & ~std::uint64_t{4095});
  const kexec::ElfSegment& last = image.segments[image.segment_count - 1];
  EXPECT_EQ(image.end, (last.vaddr + last.mem_size + 4095) & ~std::uint64_t{4095});
  EXPECT_EQ(image.start % 4096, 0u);
  EXPECT_EQ(image.end % 4096, 0u);
  const auto phdr = elf.headers(kPtPhdr);
  if (!phdr.empty()) {
    EXPECT_EQ(image.phdr_vaddr, elf.ph_get(phdr[0], kPVaddr));
  } else {
    // The first segment of these files maps the start of the file, headers included.
    EXPECT_EQ(image.segments[0].offset, 0u);
    EXPECT_EQ(image.phdr_vaddr, image.segments[0].vaddr + elf.get(kEPhoff, 8));
  }
  const auto tls = elf.headers(kPtTls);
  EXPECT_EQ(image.tls.present, !tls.empty());
  if (!tls.empty()) {
    EXPECT_EQ(image.tls.vaddr, elf.ph_get(tls[0], kPVaddr));
    EXPECT_EQ(image.tls.file_size, elf.ph_get(tls[0], kPFilesz));
    EXPECT_EQ(image.tls.mem_size, elf.ph_get(tls[0], kPMemsz));
    EXPECT_EQ(image.tls.align, elf.ph_get(tls[0], kPAlign));
  }
  EXPECT_FALSE(image.stack_executable);  // every fixture has PT_GNU_STACK RW
}

TEST(ElfImage, TinyExecutable) {
  const ElfBytes elf(read_file(fixture_path("tiny_exec")));
  ASSERT_FALSE(elf.bytes().empty());
  auto parsed = elf.parse();
  ASSERT_TRUE(parsed.ok()) << error_text(parsed.error());
  const ElfImage& image = parsed.value();
  EXPECT_EQ(image.type, ElfType::kExec);
  expect_matches_headers(elf, image);
  // tiny_program.c: a 4-byte int in .tdata, 8 KiB of .bss after .data.
  ASSERT_TRUE(image.tls.present);
  EXPECT_EQ(image.tls.file_size, 4u);
  const kexec::ElfSegment& data = image.segments[image.segment_count - 1];
  EXPECT_TRUE(data.writable);
  EXPECT_GE(data.mem_size - data.file_size, 8192u);
  EXPECT_GE(image.start, kexec::kUserLowest);
  auto bias = kexec::load_bias(image, 0x12345000);
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(bias.value(), 0u);  // ET_EXEC stays where it was linked
}

TEST(ElfImage, TinyStaticPie) {
  const ElfBytes elf(read_file(fixture_path("tiny_pie")));
  ASSERT_FALSE(elf.bytes().empty());
  auto parsed = elf.parse();
  ASSERT_TRUE(parsed.ok()) << error_text(parsed.error());
  const ElfImage& image = parsed.value();
  EXPECT_EQ(image.type, ElfType::kPie);
  EXPECT_EQ(elf.get(kEType, 2), 3u);  // ET_DYN
  expect_matches_headers(elf, image);
  EXPECT_EQ(image.start, 0u);
  EXPECT_TRUE(image.tls.present);
}

TEST(ElfImage, MuslStaticAndStaticPie) {
  const auto static_bytes = read_file(fixture_path("musl_static"));
  const auto pie_bytes = read_file(fixture_path("musl_pie"));
  if (static_bytes.empty() || pie_bytes.empty()) {
    GTEST_SKIP() << "musl-gcc not installed (Debian package musl-tools): no musl programs built";
  }
  for (const auto* bytes : {&static_bytes, &pie_bytes}) {
    const ElfBytes elf(*bytes);
    auto parsed = elf.parse();
    ASSERT_TRUE(parsed.ok()) << error_text(parsed.error());
    expect_matches_headers(elf, parsed.value());
    EXPECT_EQ(parsed.value().type, bytes == &static_bytes ? ElfType::kExec : ElfType::kPie);
    EXPECT_GE(parsed.value().segment_count, 2u);
  }
}

TEST(ElfImage, GlibcStaticAndStaticPie) {
  for (const char* name : {"glibc_static", "glibc_pie"}) {
    const ElfBytes elf(read_file(fixture_path(name)));
    ASSERT_FALSE(elf.bytes().empty()) << name;
    auto parsed = elf.parse();
    ASSERT_TRUE(parsed.ok()) << name << ": " << error_text(parsed.error());
    expect_matches_headers(elf, parsed.value());
    EXPECT_EQ(parsed.value().type, name[6] == 's' ? ElfType::kExec : ElfType::kPie) << name;
    EXPECT_TRUE(parsed.value().tls.present) << name;  // glibc's own thread-local variables
  }
}

// Debian's busybox-static: the program the README runs as process 1 (static glibc).
TEST(ElfImage, DebianBusyboxStatic) {
  const ElfBytes elf(read_file("/bin/busybox"));
  if (elf.bytes().empty() || !elf.headers(kPtInterp).empty()) {
    GTEST_SKIP() << "no static /bin/busybox (Debian package busybox-static)";
  }
  auto parsed = elf.parse();
  ASSERT_TRUE(parsed.ok()) << error_text(parsed.error());
  expect_matches_headers(elf, parsed.value());
}

// The test binary itself is linked against the host's C library: PT_INTERP.
TEST(ElfImage, DynamicallyLinkedHostProgramRefused) {
  const ElfBytes elf(read_file("/proc/self/exe"));
  ASSERT_FALSE(elf.bytes().empty());
  const auto interp = elf.headers(kPtInterp);
  ASSERT_FALSE(interp.empty()) << "this test binary is expected to be dynamically linked";
  auto parsed = elf.parse();
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().kind, ElfErrorKind::kDynamicallyLinked);
  EXPECT_EQ(parsed.error().header, static_cast<std::int32_t>(interp[0]));
  EXPECT_EQ(
      error_text(parsed.error()),
      "program header " + std::to_string(interp[0]) +
          ": dynamically linked (PT_INTERP): not supported (value " +
          [&] {
            char v[32];
            std::snprintf(v, sizeof(v), "%#llx",
                          static_cast<unsigned long long>(elf.ph_get(interp[0], kPOffset)));
            return std::string(v);
          }() +
          ")");
}

TEST(ElfImage, FileHeaderErrorText) {
  const std::uint8_t short_file[10] = {};
  auto parsed = kexec::parse_elf(short_file, sizeof(short_file));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(error_text(parsed.error()),
            "file header: file shorter than the ELF header (value 0xa)");
}

TEST(ElfImage, LoadBiasPlacesPie) {
  const ElfBytes elf(read_file(fixture_path("tiny_pie")));
  auto parsed = elf.parse();
  ASSERT_TRUE(parsed.ok());
  const ElfImage& image = parsed.value();
  auto bias = kexec::load_bias(image, 0x555555554000);
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(bias.value(), 0x555555554000 - image.start);
  auto misaligned = kexec::load_bias(image, 0x555555554800);
  ASSERT_FALSE(misaligned.ok());
  EXPECT_EQ(misaligned.error().kind, ElfErrorKind::kBadLoadBase);
  EXPECT_EQ(misaligned.error().value, 0x555555554800u);
  EXPECT_FALSE(kexec::load_bias(image, 0).ok());  // the null guard
  const std::uint64_t highest = kexec::max_load_base(image);
  ASSERT_NE(highest, 0u);
  EXPECT_EQ(highest % image.align, 0u);
  EXPECT_TRUE(kexec::load_bias(image, highest).ok());
  EXPECT_LE(highest + (image.end - image.start), kexec::kUserTop);
  EXPECT_FALSE(kexec::load_bias(image, highest + image.align).ok());
  EXPECT_FALSE(kexec::load_bias(image, ~std::uint64_t{0} & ~std::uint64_t{4095}).ok());
}

TEST(ElfImage, LoadBiasHonoursLargestAlignment) {
  // A PIE whose data segment asks for 2 MiB alignment: bases must be 2 MiB multiples.
  const ElfBytes elf =
      synthetic_elf(3, 0x1000,
                    {{kPtLoad, kPfR | kPfX, 0, 0, 0x1100, 0x1100, 0x1000},
                     {kPtLoad, kPfR | kPfW, 0x2000, 0x202000, 0x10, 0x10, 0x200000}},
                    0x2010);
  auto parsed = elf.parse();
  ASSERT_TRUE(parsed.ok()) << error_text(parsed.error());
  EXPECT_EQ(parsed.value().align, 0x200000u);
  EXPECT_FALSE(kexec::load_bias(parsed.value(), 0x40001000).ok());
  EXPECT_TRUE(kexec::load_bias(parsed.value(), 0x40200000).ok());
}

// The first segment of the files below: the file header and program headers, read-only.
const Header kHeaders{kPtLoad, kPfR, 0, 0x400000, 0x200, 0x200, 0x1000};

// Neighbours may share a page (linkers without -z separate-code write that) unless the page
// would have to be writable and executable.
TEST(ElfImage, SharedPages) {
  const ElfBytes code_then_rodata =
      synthetic_elf(2, 0x401000,
                    {kHeaders,
                     {kPtLoad, kPfR | kPfX, 0x1000, 0x401000, 0x800, 0x800, 0x1000},
                     {kPtLoad, kPfR, 0x1800, 0x401800, 0x100, 0x100, 0x1000}},
                    0x2000);
  auto ok = code_then_rodata.parse();
  ASSERT_TRUE(ok.ok()) << error_text(ok.error());
  EXPECT_EQ(ok.value().end - ok.value().start, 0x2000u);

  const ElfBytes code_then_data =
      synthetic_elf(2, 0x401000,
                    {kHeaders,
                     {kPtLoad, kPfR | kPfX, 0x1000, 0x401000, 0x800, 0x800, 0x1000},
                     {kPtLoad, kPfR | kPfW, 0x1800, 0x401800, 0x100, 0x100, 0x1000}},
                    0x2000);
  auto refused = code_then_data.parse();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ElfErrorKind::kSharedPageWritableExecutable);
  EXPECT_EQ(refused.error().header, 2);
  EXPECT_EQ(refused.error().value, 0x401800u);

  // Three in one page: code, read-only, data. The data shares the page with the code through
  // the read-only segment between them.
  const ElfBytes three =
      synthetic_elf(2, 0x401000,
                    {kHeaders,
                     {kPtLoad, kPfR | kPfX, 0x1000, 0x401000, 0x400, 0x400, 0x1000},
                     {kPtLoad, kPfR, 0x1400, 0x401400, 0x400, 0x400, 0x1000},
                     {kPtLoad, kPfR | kPfW, 0x1800, 0x401800, 0x100, 0x100, 0x1000}},
                    0x2000);
  auto three_refused = three.parse();
  ASSERT_FALSE(three_refused.ok());
  EXPECT_EQ(three_refused.error().kind, ElfErrorKind::kSharedPageWritableExecutable);
  EXPECT_EQ(three_refused.error().header, 3);

  // Data on the next page after code that ends mid-page: fine.
  const ElfBytes next_page =
      synthetic_elf(2, 0x401000,
                    {kHeaders,
                     {kPtLoad, kPfR | kPfX, 0x1000, 0x401000, 0x800, 0x800, 0x1000},
                     {kPtLoad, kPfR | kPfW, 0x1800, 0x402800, 0x100, 0x100, 0x1000}},
                    0x2000);
  EXPECT_TRUE(next_page.parse().ok());
}

TEST(ElfImage, DescribeNamesEveryKind) {
  for (int k = 0; k <= static_cast<int>(ElfErrorKind::kBadLoadBase); ++k) {
    EXPECT_STRNE(kexec::describe(static_cast<ElfErrorKind>(k)), "?") << k;
  }
}

}  // namespace
