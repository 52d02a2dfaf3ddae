// xAPIC: registers at their MMIO offsets in a 4 KiB page, destination in ICR bits 63:56.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel/arch/x86_64/apic/lapic_device.h"

namespace apic::test {
namespace {

class XApicTest : public ::testing::Test {
 protected:
  std::uint32_t& reg(std::uint32_t offset) { return page[offset / 4]; }

  alignas(4096) std::uint32_t page[1024] = {};
  XApicMmio access{page};
  LocalApicDevice dev{access};
};

TEST_F(XApicTest, IdFromBits31To24) {
  reg(0x20) = 0x0500'0000;
  EXPECT_EQ(klib::to_raw(dev.id()), 5u);
}

TEST_F(XApicTest, FixedIpiDestinationInIcrHighBits31To24) {
  ASSERT_TRUE(dev.send_fixed(klib::ApicId{3}, arch::Vector::kTestIpi));
  EXPECT_EQ(reg(0x310), 0x0300'0000u);
  EXPECT_EQ(reg(0x300), 0x40F9u);
}

TEST_F(XApicTest, DestinationAbove255IsRefusedAndNothingWritten) {
  EXPECT_FALSE(dev.send_fixed(klib::ApicId{256}, arch::Vector::kTestIpi));
  EXPECT_EQ(reg(0x310), 0u);
  EXPECT_EQ(reg(0x300), 0u);
}

TEST_F(XApicTest, InitAssertThenDeassert) {
  ASSERT_TRUE(dev.send_init_assert(klib::ApicId{2}));
  EXPECT_EQ(reg(0x310), 0x0200'0000u);
  EXPECT_EQ(reg(0x300), 0xC500u);
  ASSERT_TRUE(dev.send_init_deassert(klib::ApicId{2}));
  EXPECT_EQ(reg(0x300), 0x8500u);  // level trigger, level de-assert (bit 14 clear)
}

TEST_F(XApicTest, StartupIpi) {
  ASSERT_TRUE(dev.send_startup(klib::ApicId{1}, 0x08));
  EXPECT_EQ(reg(0x310), 0x0100'0000u);
  EXPECT_EQ(reg(0x300), 0x4608u);
}

TEST_F(XApicTest, AllButSelf) {
  dev.send_fixed_all_but_self(arch::Vector::kPanicStop);
  EXPECT_EQ(reg(0x310), 0u);
  EXPECT_EQ(reg(0x300), 0x000C'40FDu);
}

TEST_F(XApicTest, DeliveryStatusFromIcrLowBit12) {
  reg(0x300) = 1u << 12;
  EXPECT_TRUE(dev.delivery_pending());
  reg(0x300) = 0;
  EXPECT_FALSE(dev.delivery_pending());
}

TEST_F(XApicTest, EoiAndSvr) {
  reg(0xB0) = 0xDEAD;
  dev.eoi();
  EXPECT_EQ(reg(0xB0), 0u);
  reg(0xF0) = 0x0000'000F;  // reset value's low nibble on P6-era parts
  dev.software_enable(arch::Vector::kSpurious);
  EXPECT_EQ(reg(0xF0), 0x3FFu);
}

// xAPIC MMIO: read-modify-write, reserved bits keep what was read (the SDM's rule for reserved
// bits); defined fields the kernel does not use are set as it needs them.
TEST_F(XApicTest, SvrEnablePreservesReservedBitsAndClearsEoiBroadcastSuppression) {
  reg(0xF0) = 0xF000'1C0F;  // reserved 31:28 and 11:10, bit 12 (EOI broadcast suppression)
  dev.software_enable(arch::Vector::kSpurious);
  EXPECT_EQ(reg(0xF0), 0xF000'0FFFu);
}

TEST_F(XApicTest, DividePreservesReservedBits) {
  reg(0x3E0) = 0xFFFF'FFF4;  // reserved bits set, bit 2 set
  dev.timer_divide_by_1();
  EXPECT_EQ(reg(0x3E0), 0xFFFF'FFFFu);
}

TEST_F(XApicTest, MaskLvtPreservesReservedBits) {
  reg(0x370) = 0xF000'00FE;
  dev.mask_lvt(Register::kLvtError);
  EXPECT_EQ(reg(0x370), 0xF001'00FEu);
}

TEST_F(XApicTest, VersionAndLvtCount) {
  reg(0x30) = 0x0005'0014;  // Max LVT Entry 5, version 0x14 (QEMU)
  EXPECT_EQ(dev.version(), 0x14);
  EXPECT_EQ(dev.lvt_entries(), 6u);
}

}  // namespace
}  // namespace apic::test
