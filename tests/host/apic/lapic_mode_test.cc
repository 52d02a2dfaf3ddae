// xAPIC/x2APIC choice from IA32_APIC_BASE: the firmware states QEMU TCG cannot produce.
#include <gtest/gtest.h>

#include "kernel/arch/x86_64/apic/lapic_mode.h"

namespace apic::test {
namespace {

constexpr Reg64 kBase = 0xFEE0'0000;
constexpr Reg64 kBsp = 1u << 8;
constexpr Reg64 kExtd = 1u << 10;
constexpr Reg64 kEn = 1u << 11;

TEST(ApicModeTest, FirmwareLeftX2ApicOnStaysWithoutWrites) {
  const ModePlan p = plan_boot_mode(kBase | kBsp | kEn | kExtd, true);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kX2Apic);
  EXPECT_TRUE(p.firmware_left_x2apic);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, FirmwareLeftX2ApicOnStaysEvenIfCpuidDoesNotSaySo) {
  const ModePlan p = plan_boot_mode(kBase | kEn | kExtd, false);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kX2Apic);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, X2ApicSupportedSwitchesOnInOneWriteKeepingBaseAndBsp) {
  const ModePlan p = plan_boot_mode(kBase | kBsp | kEn, true);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kX2Apic);
  ASSERT_EQ(p.write_count, 1u);
  EXPECT_EQ(p.writes[0], 0xFEE0'0D00u);
}

TEST(ApicModeTest, NoX2ApicStaysXApicWithoutWrites) {
  const ModePlan p = plan_boot_mode(kBase | kBsp | kEn, false);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kXApic);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, DisabledApicGoesThroughXApicFirst) {
  const ModePlan p = plan_boot_mode(kBase | kBsp, true);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_TRUE(p.was_disabled);
  ASSERT_EQ(p.write_count, 2u);
  EXPECT_EQ(p.writes[0], 0xFEE0'0900u);  // EN
  EXPECT_EQ(p.writes[1], 0xFEE0'0D00u);  // then EXTD
}

TEST(ApicModeTest, DisabledWithoutX2ApicOnlyEnables) {
  const ModePlan p = plan_boot_mode(kBase, false);
  EXPECT_EQ(p.mode, ApicMode::kXApic);
  ASSERT_EQ(p.write_count, 1u);
  EXPECT_EQ(p.writes[0], 0xFEE0'0800u);
}

TEST(ApicModeTest, ExtdWithoutEnIsInvalid) {
  const ModePlan p = plan_boot_mode(kBase | kExtd, true);
  EXPECT_NE(p.error, nullptr);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, ApFollowsBootCpuIntoX2Apic) {
  const ModePlan p = plan_ap_mode(kBase | kEn, true, ApicMode::kX2Apic);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kX2Apic);
  ASSERT_EQ(p.write_count, 1u);
  EXPECT_EQ(p.writes[0], 0xFEE0'0C00u);  // no BSP bit on an AP
}

TEST(ApicModeTest, ApWithoutX2ApicCannotFollow) {
  const ModePlan p = plan_ap_mode(kBase | kEn, false, ApicMode::kX2Apic);
  EXPECT_NE(p.error, nullptr);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, ApStaysXApicWhenBootCpuDoes) {
  const ModePlan p = plan_ap_mode(kBase | kEn, true, ApicMode::kXApic);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.mode, ApicMode::kXApic);
  EXPECT_EQ(p.write_count, 0u);
}

TEST(ApicModeTest, ApLeftInX2ApicWhileBootCpuUsesXApicIsAnError) {
  const ModePlan p = plan_ap_mode(kBase | kEn | kExtd, true, ApicMode::kXApic);
  EXPECT_NE(p.error, nullptr);
}

}  // namespace
}  // namespace apic::test
