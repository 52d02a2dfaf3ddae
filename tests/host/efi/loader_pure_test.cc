// The loader's pure helpers: RSDP checks, command-line conversion, memory-map conversion.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "efi/cmdline_parse.h"
#include "efi/memory_map_convert.h"
#include "efi/rsdp_check.h"

namespace {

std::vector<std::uint8_t> make_rsdp(std::uint8_t revision, std::uint32_t length) {
  std::vector<std::uint8_t> r(64, 0);
  std::memcpy(r.data(), "RSD PTR ", 8);
  r[15] = revision;
  std::memcpy(r.data() + 20, &length, 4);
  std::uint8_t sum = 0;
  for (int i = 0; i < 20; ++i) sum = static_cast<std::uint8_t>(sum + r[i]);
  r[8] = static_cast<std::uint8_t>(-sum);
  if (revision >= 2 && length <= r.size()) {
    sum = 0;
    for (std::uint32_t i = 0; i < length; ++i) sum = static_cast<std::uint8_t>(sum + r[i]);
    r[32] = static_cast<std::uint8_t>(-sum);
  }
  return r;
}

TEST(Rsdp, AcceptsVersion1And2) {
  auto v1 = make_rsdp(0, 0);
  auto r = loader::check_rsdp(v1.data(), v1.size());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().revision, 0u);
  auto v2 = make_rsdp(2, 36);
  auto r2 = loader::check_rsdp(v2.data(), v2.size());
  ASSERT_TRUE(r2.ok()) << r2.error();
  EXPECT_EQ(r2.value().revision, 2u);
  EXPECT_EQ(r2.value().length, 36u);
}

TEST(Rsdp, RejectsBadSignatureAndChecksums) {
  auto a = make_rsdp(2, 36);
  a[0] = 'X';
  EXPECT_STREQ(loader::check_rsdp(a.data(), a.size()).error(), "bad RSDP signature");
  auto b = make_rsdp(2, 36);
  b[9] ^= 1;
  EXPECT_STREQ(loader::check_rsdp(b.data(), b.size()).error(), "bad RSDP checksum");
  auto c = make_rsdp(2, 36);
  c[34] ^= 1;  // only the extended checksum covers byte 34
  EXPECT_STREQ(loader::check_rsdp(c.data(), c.size()).error(), "bad RSDP extended checksum");
}

TEST(Rsdp, RejectsBadLength) {
  auto a = make_rsdp(2, 20);
  EXPECT_STREQ(loader::check_rsdp(a.data(), a.size()).error(), "bad RSDP length");
  auto b = make_rsdp(2, 100000);
  EXPECT_STREQ(loader::check_rsdp(b.data(), b.size()).error(), "bad RSDP length");
  auto c = make_rsdp(2, 48);
  EXPECT_STREQ(loader::check_rsdp(c.data(), 40).error(), "bad RSDP length");  // past readable
  EXPECT_FALSE(loader::check_rsdp(c.data(), 19).ok());
}

std::string from_options(const std::u16string& s, std::size_t capacity = 64,
                         loader::CmdlineText* info = nullptr) {
  char out[256];
  auto text = loader::cmdline_from_load_options(reinterpret_cast<const std::uint16_t*>(s.data()),
                                                s.size(), out, capacity);
  if (info) *info = text;
  return std::string(out, text.length);
}

TEST(Cmdline, TextDetection) {
  std::u16string text = u"BOOTX64.EFI console=serial";
  text.push_back(0);
  EXPECT_TRUE(loader::load_options_are_text(reinterpret_cast<const std::uint16_t*>(text.data()),
                                            text.size()));
  const std::uint16_t binary[] = {0x0001, 0x4242, 0x0000, 0x1234};
  EXPECT_FALSE(loader::load_options_are_text(binary, 4));
  const std::uint16_t surrogate[] = {'a', 0xd800, 'b'};
  EXPECT_FALSE(loader::load_options_are_text(surrogate, 3));
  EXPECT_FALSE(loader::load_options_are_text(nullptr, 0));
}

TEST(Cmdline, StripsImageName) {
  EXPECT_EQ(from_options(u"BOOTX64.EFI smp=2 log=debug"), "smp=2 log=debug");
  EXPECT_EQ(from_options(u"fs0:\\EFI\\BOOT\\bootx64.efi  quiet  "), "quiet");
  EXPECT_EQ(from_options(u"quiet smp=1"), "quiet smp=1");
  EXPECT_EQ(from_options(u"BOOTX64.EFI"), "");
}

TEST(Cmdline, SkipsNonAsciiAndTruncates) {
  loader::CmdlineText info;
  EXPECT_EQ(from_options(u"a\u00e9b", 64, &info), "ab");
  EXPECT_EQ(info.skipped, 1u);
  EXPECT_EQ(from_options(u"abcdef", 3, &info), "abc");
  EXPECT_TRUE(info.truncated);
}

TEST(Cmdline, FromFile) {
  const std::string file = "  smp=4\r\nlog=info\t\xff\n\n";
  char out[64];
  auto text = loader::cmdline_from_file(reinterpret_cast<const std::uint8_t*>(file.data()),
                                        file.size(), out, sizeof(out));
  EXPECT_EQ(std::string(out, text.length), "smp=4  log=info");
  EXPECT_EQ(text.skipped, 1u);
}

TEST(MemoryMap, ConvertsWithFirmwareStride) {
  constexpr std::size_t kStride = 48;  // OVMF uses 48, larger than the 40-byte struct
  std::vector<std::uint8_t> map(3 * kStride, 0xcc);
  for (std::uint32_t i = 0; i < 3; ++i) {
    loader::EfiMemoryDescriptor d{};
    d.type = i == 2 ? 99 : 7;
    d.physical_start = 0x100000 * (i + 1);
    d.page_count = 16 + i;
    d.attribute = 0xf;
    std::memcpy(map.data() + i * kStride, &d, sizeof(d));
  }
  boot::MemoryRange out[3];
  auto r = loader::convert_memory_map(map.data(), map.size(), kStride, out, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 3u);
  EXPECT_EQ(out[1].physical_start, 0x200000u);
  EXPECT_EQ(out[1].page_count, 17u);
  EXPECT_EQ(out[1].type, boot::EfiMemoryType::kConventional);
  EXPECT_EQ(out[2].type, boot::EfiMemoryType::kReserved);  // unknown type 99
  EXPECT_EQ(loader::highest_address(map.data(), map.size(), kStride), 0x300000u + 18 * 4096);
  EXPECT_EQ(loader::convert_memory_map(map.data(), map.size(), kStride, out, 2).error(),
            loader::MapError::kTooManyEntries);
  EXPECT_EQ(loader::convert_memory_map(map.data(), map.size(), 32, out, 3).error(),
            loader::MapError::kDescriptorTooSmall);
}

TEST(MemoryMap, HighestAddressSaturates) {
  loader::EfiMemoryDescriptor d{};
  d.physical_start = 0xfffffffffff00000;
  d.page_count = 0x1000000;
  std::uint8_t bytes[sizeof(d)];
  std::memcpy(bytes, &d, sizeof(d));
  EXPECT_EQ(loader::highest_address(bytes, sizeof(d), sizeof(d)), ~0ull);
}

}  // namespace
