#include "kernel/core/boot_info_check.h"

#include <gtest/gtest.h>

namespace {

boot::BootInfo good() {
  boot::BootInfo info{};
  info.magic = boot::kBootInfoMagic;
  info.version = boot::kBootInfoVersion;
  info.size = sizeof(boot::BootInfo);
  info.memory_map = 0x1000;
  info.memory_map_count = 4;
  return info;
}

TEST(BootInfoCheck, AcceptsGood) {
  EXPECT_EQ(boot::check_boot_info(good()), nullptr);
  auto bigger = good();
  bigger.size += 64;  // a newer loader that appended fields
  EXPECT_EQ(boot::check_boot_info(bigger), nullptr);
}

TEST(BootInfoCheck, RejectsHeaderProblems) {
  auto b = good();
  b.magic ^= 1;
  EXPECT_NE(boot::check_boot_info(b), nullptr);
  b = good();
  b.version = boot::kBootInfoVersion + 1;
  EXPECT_NE(boot::check_boot_info(b), nullptr);
  b = good();
  b.size = sizeof(boot::BootInfo) - 8;
  EXPECT_NE(boot::check_boot_info(b), nullptr);
}

TEST(BootInfoCheck, RejectsInconsistentFields) {
  auto b = good();
  b.memory_map_count = 0;
  EXPECT_NE(boot::check_boot_info(b), nullptr);
  b = good();
  b.cmdline_length = boot::kMaxCmdlineLength + 1;
  b.cmdline = 0x2000;
  EXPECT_NE(boot::check_boot_info(b), nullptr);
  b = good();
  b.cmdline_length = 5;
  EXPECT_NE(boot::check_boot_info(b), nullptr);  // no address
  b = good();
  b.symtab = 0x3000;
  EXPECT_NE(boot::check_boot_info(b), nullptr);  // no size
  b = good();
  b.initramfs = 0x4000;
  EXPECT_STREQ(boot::check_boot_info(b), "initramfs address and size disagree");
  b.initramfs_size = ~std::uint64_t{0};
  EXPECT_STREQ(boot::check_boot_info(b), "initramfs range wraps");
  b.initramfs_size = 0x1000;
  EXPECT_EQ(boot::check_boot_info(b), nullptr);
}

}  // namespace
