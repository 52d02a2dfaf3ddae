// HPET, FADT (every size), SRAT, SLIT and MCFG.
#include <gtest/gtest.h>

#include <vector>

#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/mcfg.h"
#include "acpi/slit.h"
#include "acpi/srat.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

void gas(TableBuilder& t, std::uint8_t space, std::uint8_t width, std::uint64_t address) {
  t.u8(space).u8(width).u8(0).u8(space == 0 ? 3 : 1).u64(address);
}

TEST(AcpiHpet, Decodes) {
  TableBuilder t("HPET", 1);
  t.u32(0x8086A201);  // vendor 8086, legacy replacement, 64-bit, 3 comparators, rev 1
  gas(t, 0, 64, 0xFED00000);
  t.u8(0).u16(0x80).u8(0);
  Bytes b = t.finish();
  auto h = acpi::parse_hpet(b.data(), b.size(), nullptr);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.value().base.address, 0xFED00000u);
  EXPECT_EQ(h.value().base.space_id, 0);
  EXPECT_EQ(h.value().comparators, 3);
  EXPECT_TRUE(h.value().counter_64bit);
  EXPECT_TRUE(h.value().legacy_replacement);
  EXPECT_EQ(h.value().pci_vendor_id, 0x8086);
  EXPECT_EQ(h.value().hardware_revision, 1);
  EXPECT_EQ(h.value().minimum_tick, 0x80);
}

TEST(AcpiHpet, ShortTableIsAnError) {
  Bytes b = TableBuilder("HPET", 1).u32(0).finish();
  auto h = acpi::parse_hpet(b.data(), b.size(), nullptr);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().reason, acpi::Reason::kTableTooShort);
  EXPECT_STREQ(h.error().table.text, "HPET");
}

// A FADT of `length` bytes with recognisable values in the fields the parser reads.
Bytes make_fadt(std::uint8_t revision, std::size_t length, std::uint32_t flags, std::uint64_t x_pm_timer) {
  TableBuilder t("FACP", revision);
  t.zeros(276 - 36);
  Bytes b = t.finish();
  put_le32(b, 36, 0x7000);        // FIRMWARE_CTRL
  put_le32(b, 40, 0x8000);        // DSDT
  b[46] = 9;                      // SCI_INT
  put_le32(b, 76, 0x608);         // PM_TMR_BLK
  b[91] = 4;                      // PM_TMR_LEN
  b[109] = 0x3;                   // IAPC_BOOT_ARCH: legacy devices, 8042
  b[110] = 0;
  put_le32(b, 112, flags);
  b[116] = 1; b[117] = 8; b[120] = 0xF9; b[121] = 0x0C;  // RESET_REG: I/O 0xCF9
  b[128] = 6;                     // RESET_VALUE
  b[208] = 1; b[209] = 32;        // X_PM_TMR_BLK: I/O
  for (int i = 0; i < 8; ++i) b[212 + i] = static_cast<std::uint8_t>(x_pm_timer >> (8 * i));
  b.resize(length);
  put_le32(b, 4, static_cast<std::uint32_t>(length));
  fix_checksum(b);
  return b;
}

TEST(AcpiFadt, Acpi1TableReadsOnlyWhatItHas) {
  Bytes b = make_fadt(1, 116, acpi::kFadtTimerValExt, 0x1608);
  auto f = acpi::parse_fadt(b.data(), b.size(), nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.value().dsdt, 0x8000u);
  EXPECT_TRUE(f.value().pm_timer_present);
  EXPECT_FALSE(f.value().pm_timer_from_x_field);
  EXPECT_EQ(f.value().pm_timer.address, 0x608u);
  EXPECT_EQ(f.value().pm_timer.space_id, 1);
  EXPECT_TRUE(f.value().pm_timer_32bit);
  EXPECT_FALSE(f.value().boot_flags_valid);  // reserved in revision 1
  EXPECT_FALSE(f.value().has_8042());
  EXPECT_FALSE(f.value().reset_supported);   // RESET_REG lies past 116 bytes
}

TEST(AcpiFadt, PrefersXPmTimerWhenPresentAndCovered) {
  Bytes b = make_fadt(5, 276, acpi::kFadtResetRegSupported, 0x1608);
  auto f = acpi::parse_fadt(b.data(), b.size(), nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value().pm_timer_from_x_field);
  EXPECT_EQ(f.value().pm_timer.address, 0x1608u);
  EXPECT_FALSE(f.value().pm_timer_32bit);
  EXPECT_TRUE(f.value().reset_supported);
  EXPECT_EQ(f.value().reset_register.address, 0xCF9u);
  EXPECT_EQ(f.value().reset_value, 6);
  EXPECT_TRUE(f.value().boot_flags_valid);
  EXPECT_TRUE(f.value().legacy_devices());
  EXPECT_TRUE(f.value().has_8042());
  EXPECT_FALSE(f.value().no_vga());
  EXPECT_FALSE(f.value().msi_not_supported());
  EXPECT_FALSE(f.value().no_cmos_rtc());
}

TEST(AcpiFadt, FallsBackToPmTmrBlkWhenXFieldIsZeroOrCutOff) {
  Bytes zero = make_fadt(3, 244, 0, 0);
  auto f = acpi::parse_fadt(zero.data(), zero.size(), nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f.value().pm_timer_from_x_field);
  EXPECT_EQ(f.value().pm_timer.address, 0x608u);
  // 216 bytes: X_PM_TMR_BLK (208..219) is cut off, so it is not read.
  Bytes cut = make_fadt(3, 216, 0, 0x1608);
  auto g = acpi::parse_fadt(cut.data(), cut.size(), nullptr);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g.value().pm_timer_from_x_field);
  EXPECT_EQ(g.value().pm_timer.address, 0x608u);
}

TEST(AcpiFadt, BootFlagsDecoded) {
  Bytes b = make_fadt(6, 276, 0, 0);
  b[109] = static_cast<std::uint8_t>(acpi::kBootVgaNotPresent | acpi::kBootMsiNotSupported | acpi::kBootCmosRtcNotPresent);
  fix_checksum(b);
  auto f = acpi::parse_fadt(b.data(), b.size(), nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f.value().has_8042());
  EXPECT_FALSE(f.value().legacy_devices());
  EXPECT_TRUE(f.value().no_vga());
  EXPECT_TRUE(f.value().msi_not_supported());
  EXPECT_TRUE(f.value().no_cmos_rtc());
}

TEST(AcpiFadt, HardwareReducedHasNoPmTimer) {
  Bytes b = make_fadt(6, 276, acpi::kFadtHardwareReduced, 0x1608);
  auto f = acpi::parse_fadt(b.data(), b.size(), nullptr);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f.value().hardware_reduced());
  EXPECT_FALSE(f.value().pm_timer_present);
}

TEST(AcpiFadt, TooShortForDsdtIsAnError) {
  Bytes b = TableBuilder("FACP", 1).u32(0).finish();
  auto f = acpi::parse_fadt(b.data(), b.size(), nullptr);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().reason, acpi::Reason::kTableTooShort);
}

Bytes make_srat(std::uint8_t revision) {
  TableBuilder t("SRAT", revision);
  t.u32(1).u64(0);
  // Processor LAPIC affinity: domain bytes 0x01 | 0x02 << 8 (high bytes only from revision 2).
  t.u8(0).u8(16).u8(0x01).u8(5).u32(1).u8(0).u8(0x02).u8(0).u8(0).u32(0);
  // Memory affinity: domain 0x0103, 4 GiB at 4 GiB, enabled + hot-pluggable.
  t.u8(1).u8(40).u32(0x0103).u16(0).u64(0x100000000).u64(0x100000000).u32(0).u32(3).u64(0);
  // x2APIC affinity, disabled.
  t.u8(2).u8(24).u16(0).u32(7).u32(0x12345).u32(0).u32(0).u32(0);
  // A GICC affinity entry (type 3): skipped by length.
  t.u8(3).u8(18).zeros(16);
  return t.finish();
}

std::vector<acpi::SratEntry> srat_entries(const Bytes& b) {
  auto srat = acpi::Srat::parse(b.data(), b.size(), nullptr);
  EXPECT_TRUE(srat.ok());
  std::vector<acpi::SratEntry> out;
  auto cursor = srat.value().entries();
  acpi::SratEntry e;
  for (;;) {
    auto more = cursor.next(e);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !more.value()) break;
    out.push_back(e);
  }
  return out;
}

TEST(AcpiSrat, DecodesEntriesAndDomainWidthByRevision) {
  auto e = srat_entries(make_srat(3));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(acpi::to_raw(e[0].processor.apic_id), 5u);
  EXPECT_EQ(e[0].processor.domain, 0x0201u);
  EXPECT_TRUE(e[0].enabled());
  EXPECT_EQ(e[1].memory.domain, 0x0103u);
  EXPECT_EQ(e[1].memory.base, 0x100000000u);
  EXPECT_EQ(e[1].memory.length, 0x100000000u);
  EXPECT_TRUE(e[1].memory.flags & acpi::kSratMemHotPluggable);
  EXPECT_EQ(acpi::to_raw(e[2].processor.apic_id), 0x12345u);
  EXPECT_EQ(e[2].processor.domain, 7u);
  EXPECT_FALSE(e[2].enabled());
  EXPECT_EQ(e[3].type, 3);
  auto old = srat_entries(make_srat(1));
  ASSERT_EQ(old.size(), 4u);
  EXPECT_EQ(old[0].processor.domain, 0x01u);
  EXPECT_EQ(old[1].memory.domain, 0x03u);
}

acpi::Error first_srat_error(const Bytes& b) {
  auto srat = acpi::Srat::parse(b.data(), b.size(), nullptr);
  EXPECT_TRUE(srat.ok());
  if (!srat.ok()) return {};
  auto cursor = srat.value().entries();
  acpi::SratEntry e;
  auto r = cursor.next(e);
  EXPECT_FALSE(r.ok());
  return r.ok() ? acpi::Error{} : r.error();
}

TEST(AcpiSrat, MalformedEntries) {
  acpi::Error zero = first_srat_error(TableBuilder("SRAT", 3).u32(1).u64(0).u8(1).u8(0).zeros(38).finish());
  EXPECT_EQ(zero.reason, acpi::Reason::kEntryZeroLength);
  EXPECT_EQ(zero.offset, 48u);
  EXPECT_STREQ(zero.table.text, "SRAT");
  acpi::Error short_mem = first_srat_error(TableBuilder("SRAT", 3).u32(1).u64(0).u8(1).u8(24).zeros(22).finish());
  EXPECT_EQ(short_mem.reason, acpi::Reason::kEntryTooShort);
  acpi::Error crossing = first_srat_error(TableBuilder("SRAT", 3).u32(1).u64(0).u8(2).u8(24).zeros(10).finish());
  EXPECT_EQ(crossing.reason, acpi::Reason::kEntryCrossesEnd);
  Bytes too_short = TableBuilder("SRAT", 3).u32(1).finish();
  auto r = acpi::Srat::parse(too_short.data(), too_short.size(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kTableTooShort);
}

Bytes make_slit(std::uint64_t count, const std::vector<std::uint8_t>& matrix) {
  TableBuilder t("SLIT", 1);
  t.u64(count);
  for (std::uint8_t d : matrix) t.u8(d);
  return t.finish();
}

TEST(AcpiSlit, DecodesTheMatrixRowByRow) {
  Bytes b = make_slit(3, {10, 20, 30, 21, 10, 25, 31, 26, 10});
  auto s = acpi::Slit::parse(b.data(), b.size(), nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.value().localities(), 3u);
  EXPECT_EQ(s.value().distance(0, 1), 20);
  EXPECT_EQ(s.value().distance(1, 0), 21);
  EXPECT_EQ(s.value().distance(2, 1), 26);
  EXPECT_EQ(s.value().distance(2, 2), 10);
  acpi::Error bad;
  EXPECT_TRUE(s.value().usable(&bad));
}

TEST(AcpiSlit, MatrixLargerThanTheTableIsAnError) {
  Bytes short_matrix = make_slit(3, {10, 20, 20, 10});
  auto s = acpi::Slit::parse(short_matrix.data(), short_matrix.size(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, acpi::Reason::kTableTooShort);
  EXPECT_EQ(s.error().value, 3u);
  // A count whose square overflows 64 bits must not wrap into "fits".
  Bytes huge = make_slit(0x100000001ull, {10});
  auto h = acpi::Slit::parse(huge.data(), huge.size(), nullptr);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().reason, acpi::Reason::kTableTooShort);
  Bytes no_count = TableBuilder("SLIT", 1).u32(1).finish();
  auto n = acpi::Slit::parse(no_count.data(), no_count.size(), nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().reason, acpi::Reason::kTableTooShort);
}

TEST(AcpiSlit, UnusableMatricesNameTheFirstBadEntry) {
  acpi::Error bad;
  Bytes diagonal = make_slit(2, {10, 20, 20, 11});
  auto d = acpi::Slit::parse(diagonal.data(), diagonal.size(), nullptr);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d.value().usable(&bad));
  EXPECT_EQ(bad.reason, acpi::Reason::kBadDistance);
  EXPECT_EQ(bad.offset, 44u + 3u);
  EXPECT_EQ(bad.value, 11u);
  Bytes remote_local = make_slit(2, {10, 10, 20, 10});
  auto r = acpi::Slit::parse(remote_local.data(), remote_local.size(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().usable(&bad));
  EXPECT_EQ(bad.offset, 44u + 1u);
  Bytes empty = make_slit(0, {});
  auto e = acpi::Slit::parse(empty.data(), empty.size(), nullptr);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e.value().usable(&bad));
}

TEST(AcpiMcfg, DecodesRangesAndWarnsAboutTrailingBytes) {
  TableBuilder t("MCFG", 1);
  t.u64(0);
  t.u64(0xB0000000).u16(0).u8(0).u8(255).u32(0);
  t.u64(0xC0000000).u16(1).u8(0x10).u8(0x1F).u32(0);
  t.u8(0xAA).u8(0xBB);
  Bytes b = t.finish();
  struct W final : acpi::Diagnostics {
    void warning(const acpi::Error& w) override { reasons.push_back(w.reason); }
    std::vector<acpi::Reason> reasons;
  } w;
  auto m = acpi::Mcfg::parse(b.data(), b.size(), &w);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m.value().count(), 2u);
  EXPECT_EQ(m.value().range(0).base, 0xB0000000u);
  EXPECT_EQ(m.value().range(0).size(), 256u << 20);
  EXPECT_EQ(m.value().range(1).segment, 1);
  EXPECT_EQ(m.value().range(1).start_bus, 0x10);
  EXPECT_EQ(m.value().range(1).end_bus, 0x1F);
  EXPECT_EQ(m.value().range(1).size(), 16u << 20);
  ASSERT_EQ(w.reasons.size(), 1u);
  EXPECT_EQ(w.reasons[0], acpi::Reason::kTrailingBytes);
}

}  // namespace
}  // namespace acpi_test
