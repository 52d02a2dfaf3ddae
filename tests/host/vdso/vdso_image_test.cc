// check_image and find_symbol on the built vDSO and on mutations of it.
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "kernel/vdso/vdso_image.h"
#include "kernel/vdso/vvar.h"
#include "tests/host/vdso/vdso_file.h"

namespace {

using kvdso::ImageErrorKind;

std::vector<std::uint8_t> image() {
  auto bytes = read_vdso_file();
  EXPECT_GT(bytes.size(), 64u) << PLEIADES_VDSO_SO;
  return bytes;
}

ImageErrorKind error_of(const std::vector<std::uint8_t>& b) {
  auto r = kvdso::check_image(b.data(), b.size());
  EXPECT_FALSE(r.ok());
  return r.ok() ? ImageErrorKind::kTooSmall : r.error().kind;
}

// Offset of the first occurrence of `text` (with its NUL) in the image.
std::size_t find_text(const std::vector<std::uint8_t>& b, const char* text) {
  const std::size_t n = std::strlen(text) + 1;
  for (std::size_t i = 0; i + n <= b.size(); ++i) {
    if (std::memcmp(b.data() + i, text, n) == 0) return i;
  }
  ADD_FAILURE() << text << " not in the image";
  return 0;
}

std::uint64_t word(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}

TEST(VdsoImage, TheBuiltImagePasses) {
  const auto b = image();
  auto r = kvdso::check_image(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << kvdso::describe(r.error().kind) << " " << r.error().value;
  EXPECT_EQ(r.value().pages, 1u);
  EXPECT_EQ(r.value().clock_gettime,
            kvdso::find_symbol(b.data(), b.size(), "__vdso_clock_gettime", "LINUX_2.6"));
  EXPECT_EQ(r.value().getcpu, kvdso::find_symbol(b.data(), b.size(), "__vdso_getcpu", "LINUX_2.6"));
  for (const char* name : kvdso::kRequiredSymbols) {
    EXPECT_NE(kvdso::find_symbol(b.data(), b.size(), name, "LINUX_2.6"), 0u) << name;
  }
  // Linux's unprefixed names too, at the same addresses.
  EXPECT_EQ(kvdso::find_symbol(b.data(), b.size(), "clock_gettime", "LINUX_2.6"),
            r.value().clock_gettime);
  EXPECT_EQ(kvdso::find_symbol(b.data(), b.size(), "__vdso_clock_gettime", "LINUX_2.5"), 0u);
  EXPECT_EQ(kvdso::find_symbol(b.data(), b.size(), "__vdso_nothing", "LINUX_2.6"), 0u);
  // Local symbols are not exported: the vvar page's.
  EXPECT_EQ(kvdso::find_symbol(b.data(), b.size(), "pleiades_vvar_page", "LINUX_2.6"), 0u);
}

TEST(VdsoImage, HeaderMutationsAreNamed) {
  auto b = image();
  b[1] = 'X';
  EXPECT_EQ(error_of(b), ImageErrorKind::kNotElf64X86);
  b = image();
  b[16] = 2;  // ET_EXEC
  EXPECT_EQ(error_of(b), ImageErrorKind::kNotSharedObject);
  b = image();
  const std::uint64_t huge = ~0ull - 8;
  std::memcpy(b.data() + 32, &huge, 8);  // e_phoff
  EXPECT_EQ(error_of(b), ImageErrorKind::kBadProgramHeaders);
  b = image();
  const std::uint64_t phoff = word(b, 32);
  b[phoff + 4] |= 2;  // the PT_LOAD (first program header) made writable
  EXPECT_EQ(error_of(b), ImageErrorKind::kBadLoadSegment);
  EXPECT_EQ(error_of(std::vector<std::uint8_t>(b.begin(), b.begin() + 40)), ImageErrorKind::kTooSmall);
}

TEST(VdsoImage, TableMutationsAreNamed) {
  // The version name: every symbol then has another version than musl asks for.
  auto b = image();
  b[find_text(b, "LINUX_2.6") + 8] = '7';
  EXPECT_EQ(error_of(b), ImageErrorKind::kMissingSymbol);
  // A required name misspelt.
  b = image();
  b[find_text(b, "__vdso_getcpu") + 7] = 'G';
  auto r = kvdso::check_image(b.data(), b.size());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ImageErrorKind::kMissingSymbol);
  EXPECT_EQ(r.error().value, 3u);  // its index in kRequiredSymbols
  // The vvar layout version.
  b = image();
  const std::uint64_t abi = kvdso::find_symbol(b.data(), b.size(), "pleiades_vvar_abi", "LINUX_2.6");
  ASSERT_NE(abi, 0u);
  b[abi] = PLEIADES_VVAR_ABI + 1;
  auto mismatch = kvdso::check_image(b.data(), b.size());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().kind, ImageErrorKind::kVvarAbiMismatch);
  EXPECT_EQ(mismatch.error().value, PLEIADES_VVAR_ABI + 1);
}

// The dynamic section's entries, rewritten one at a time.
TEST(VdsoImage, DynamicMutationsAreNamed) {
  const auto original = image();
  const std::uint64_t phoff = word(original, 32);
  std::uint64_t dynamic = 0;
  for (int i = 0; i < original[56]; ++i) {
    const std::size_t p = phoff + i * 56;
    if (original[p] == 2) dynamic = word(original, p + 8);  // PT_DYNAMIC: p_offset
  }
  ASSERT_NE(dynamic, 0u);
  int relocations = 0, missing = 0;
  for (std::size_t d = dynamic; word(original, d) != 0; d += 16) {
    const std::uint64_t tag = word(original, d);
    auto b = original;
    const std::uint64_t rela = 7;  // DT_RELA
    std::memcpy(b.data() + d, &rela, 8);
    if (error_of(b) == ImageErrorKind::kRelocations) ++relocations;
    if (tag == 4 || tag == 5 || tag == 6 || tag == 0x6ffffff0 || tag == 0x6ffffffc) {
      b = original;
      const std::uint64_t outside = original.size() + 4096;
      std::memcpy(b.data() + d + 8, &outside, 8);
      EXPECT_EQ(error_of(b), ImageErrorKind::kMissingTable) << "tag " << tag;
      ++missing;
    }
  }
  EXPECT_GT(relocations, 0);
  EXPECT_EQ(missing, 5);  // DT_HASH, DT_STRTAB, DT_SYMTAB, DT_VERSYM, DT_VERDEF
}

// Every prefix shorter than the loaded part is refused; none is read past its end (ASan).
TEST(VdsoImage, EveryShortPrefixIsRefused) {
  const auto b = image();
  auto full = kvdso::check_image(b.data(), b.size());
  ASSERT_TRUE(full.ok());
  std::uint64_t load_end = word(b, word(b, 32) + 32);  // the PT_LOAD's p_filesz
  ASSERT_LE(load_end, b.size());
  for (std::size_t n = 0; n < load_end; ++n) {
    std::vector<std::uint8_t> prefix(b.begin(), b.begin() + n);  // exact size: ASan sees overreads
    EXPECT_FALSE(kvdso::check_image(prefix.data(), prefix.size()).ok()) << n;
  }
}

// Random byte changes: an answer every time, never a read outside the image (ASan).
TEST(VdsoImage, RandomMutationsNeverCrash) {
  const auto original = image();
  std::mt19937_64 rng(12345);
  int refused = 0;
  for (int round = 0; round < 20000; ++round) {
    auto b = original;
    for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
    if (!kvdso::check_image(b.data(), b.size()).ok()) ++refused;
    (void)kvdso::find_symbol(b.data(), b.size(), "__vdso_time", "LINUX_2.6");
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
