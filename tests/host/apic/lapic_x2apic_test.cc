// x2APIC: every register write as the exact MSR number and value.
#include <gtest/gtest.h>

#include "kernel/arch/x86_64/apic/lapic_device.h"
#include "tests/host/apic/fake_msr.h"

namespace apic::test {
namespace {

// x2APIC MSR numbers from the SDM's x2APIC register table, written out (not computed) so a
// wrong offset formula would show.
constexpr std::uint32_t kMsrId = 0x802;
constexpr std::uint32_t kMsrTpr = 0x808;
constexpr std::uint32_t kMsrEoi = 0x80B;
constexpr std::uint32_t kMsrSvr = 0x80F;
constexpr std::uint32_t kMsrEsr = 0x828;
constexpr std::uint32_t kMsrIcr = 0x830;
constexpr std::uint32_t kMsrLvtTimer = 0x832;
constexpr std::uint32_t kMsrLvtLint0 = 0x835;
constexpr std::uint32_t kMsrLvtLint1 = 0x836;
constexpr std::uint32_t kMsrLvtError = 0x837;
constexpr std::uint32_t kMsrInitialCount = 0x838;
constexpr std::uint32_t kMsrDivide = 0x83E;

class X2ApicTest : public ::testing::Test {
 protected:
  FakeMsr msr;
  X2ApicMsr access{msr};
  LocalApicDevice dev{access};
};

TEST_F(X2ApicTest, RegisterToMsrMapping) {
  EXPECT_EQ(x2apic_msr(Register::kId), kMsrId);
  EXPECT_EQ(x2apic_msr(Register::kTpr), kMsrTpr);
  EXPECT_EQ(x2apic_msr(Register::kEsr), kMsrEsr);
  EXPECT_EQ(x2apic_msr(Register::kLvtTimer), kMsrLvtTimer);
  EXPECT_EQ(x2apic_msr(Register::kLvtLint0), kMsrLvtLint0);
  EXPECT_EQ(x2apic_msr(Register::kLvtError), kMsrLvtError);
  EXPECT_EQ(x2apic_msr(Register::kTimerDivide), kMsrDivide);
}

TEST_F(X2ApicTest, IdIsFull32Bits) {
  msr.values[kMsrId] = 0x1234'5678;
  EXPECT_EQ(klib::to_raw(dev.id()), 0x1234'5678u);
}

TEST_F(X2ApicTest, EoiWritesZeroToMsr80B) {
  dev.eoi();
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrEoi, 0)}));
}

TEST_F(X2ApicTest, SvrEnableWritesOnlyDefinedFields) {
  // Bit 12 (EOI broadcast suppression, left on by firmware) and reserved bits 28 and 10 read
  // back (a hypervisor that does not return RsvdZ): the write has vector, enable and focus
  // disable, bit 12 cleared, and every reserved bit 0 (a set one would be #GP).
  msr.values[kMsrSvr] = 0x1000'140F;
  dev.software_enable(arch::Vector::kSpurious);
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrSvr, 0x0000'03FF)}));
  EXPECT_TRUE(dev.software_enabled());
  EXPECT_EQ(dev.spurious_vector(), 0xFF);
}

TEST_F(X2ApicTest, FixedIpiPutsThe32BitDestinationInBits63To32) {
  ASSERT_TRUE(dev.send_fixed(klib::ApicId{0x1234'5678}, arch::Vector::kTestIpi));
  // vector 0xF9, fixed, physical, level assert (bit 14), edge.
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrIcr, 0x1234'5678'0000'40F9ull)}));
}

TEST_F(X2ApicTest, DestinationAbove255IsAddressable) {
  ASSERT_TRUE(dev.send_fixed(klib::ApicId{300}, arch::Vector::kReschedule));
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrIcr, (300ull << 32) | 0x40FA)}));
}

TEST_F(X2ApicTest, AllButSelfUsesShorthand11AndNoDestination) {
  dev.send_fixed_all_but_self(arch::Vector::kTlbShootdown);
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrIcr, 0x000C'40FCull)}));
}

TEST_F(X2ApicTest, InitAssertIsLevelTriggeredAssert) {
  ASSERT_TRUE(dev.send_init_assert(klib::ApicId{7}));
  // delivery mode 101b (bits 10:8), level assert (14), level trigger (15).
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrIcr, (7ull << 32) | 0xC500)}));
}

TEST_F(X2ApicTest, InitDeassertIsNotSentInX2ApicMode) {
  EXPECT_FALSE(dev.send_init_deassert(klib::ApicId{7}));
  EXPECT_TRUE(msr.ops.empty());
}

TEST_F(X2ApicTest, StartupCarriesThePageInTheVectorField) {
  ASSERT_TRUE(dev.send_startup(klib::ApicId{0x101}, 0x9A));
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrIcr, (0x101ull << 32) | 0x469A)}));
}

TEST_F(X2ApicTest, NoDeliveryStatusBitToPoll) {
  msr.values[kMsrIcr] = 1u << 12;
  EXPECT_FALSE(dev.delivery_pending());
  EXPECT_TRUE(msr.ops.empty());  // not even read
}

TEST_F(X2ApicTest, EsrIsWrittenWithZeroBeforeTheRead) {
  msr.values[kMsrEsr] = 0x40;
  EXPECT_EQ(dev.read_error_status(), 0u);  // our fake's write of 0 replaced it: shows the order
  EXPECT_EQ(msr.ops, (std::vector<MsrOp>{wr(kMsrEsr, 0), rd(kMsrEsr, 0)}));
}

TEST_F(X2ApicTest, MaskLvtWritesReservedBitsAsZero) {
  // Reserved bits 31 and 29 and read-only remote IRR (14) read back, ExtINT delivery: the
  // write keeps the delivery mode, sets the mask, and has every reserved/read-only bit 0.
  msr.values[kMsrLvtLint0] = 0xA000'4700;
  dev.mask_lvt(Register::kLvtLint0);
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrLvtLint0, 0x0001'0700)}));
}

TEST_F(X2ApicTest, LintNmiFromMadtAndMaskedOtherwise) {
  msr.values[kMsrLvtLint0] = 0x0000'0700;
  msr.values[kMsrLvtLint1] = 0x8001'0000;  // masked, reserved bit 31
  dev.setup_lint(0, LintSetup{});                          // no MADT entry: masked
  dev.setup_lint(1, LintSetup{true, true, false});         // NMI, active low, edge
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrLvtLint0, 0x0001'0700),
                                              wr(kMsrLvtLint1, 0x0000'2400)}));
}

TEST_F(X2ApicTest, ErrorVectorUnmasked) {
  msr.values[kMsrLvtError] = 0x0001'0000;
  dev.setup_error_vector(arch::Vector::kError);
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrLvtError, 0xFE)}));
}

TEST_F(X2ApicTest, TaskPriorityZero) {
  dev.accept_all_priorities();
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrTpr, 0)}));
}

TEST_F(X2ApicTest, TimerOneShotWritesLvtBeforeCount) {
  msr.values[kMsrLvtTimer] = 0x0001'0000;
  msr.values[kMsrDivide] = 0xFFFF'FFF4;  // reserved bits set, bit 2 set
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, 12345);
  // Divide: only bits 0, 1 and 3 exist; the reserved ones read back are written as 0.
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrDivide, 0xB),
                                              wr(kMsrLvtTimer, 0xEF),
                                              wr(kMsrInitialCount, 12345)}));
}

TEST_F(X2ApicTest, TimerPeriodicAndDeadlineModes) {
  dev.timer_start_periodic(arch::Vector::kTimer, 1000);
  dev.timer_set_tsc_deadline_mode(arch::Vector::kTimer);
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrLvtTimer, 0x2'00EF),
                                              wr(kMsrInitialCount, 1000),
                                              wr(kMsrLvtTimer, 0x4'00EF)}));
}

TEST_F(X2ApicTest, TimerStopMasksAndZeroesCount) {
  msr.values[kMsrLvtTimer] = 0x2'00EF;
  dev.timer_stop();
  EXPECT_EQ(msr.writes(), (std::vector<MsrOp>{wr(kMsrLvtTimer, 0x3'00EF),
                                              wr(kMsrInitialCount, 0)}));
}

}  // namespace
}  // namespace apic::test
