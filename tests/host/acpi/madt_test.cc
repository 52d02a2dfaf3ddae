// MADT decoding: every x86 entry type of ACPI 6.5, unknown types, and every malformed entry.
#include <gtest/gtest.h>

#include <vector>

#include "acpi/madt.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

std::vector<acpi::MadtEntry> all_entries(const acpi::Madt& madt) {
  std::vector<acpi::MadtEntry> out;
  auto cursor = madt.entries();
  acpi::MadtEntry e;
  for (;;) {
    auto more = cursor.next(e);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !more.value()) break;
    out.push_back(e);
  }
  return out;
}

acpi::Error first_error(const Bytes& t) {
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  EXPECT_TRUE(madt.ok());
  auto v = madt.value().validate();
  EXPECT_FALSE(v.ok());
  return v.ok() ? acpi::Error{} : v.error();
}

TEST(AcpiMadt, DecodesEveryEntryType) {
  Bytes t = MadtBuilder(5, 0xFEE00000, 1)
                .local_apic(1, 2, 1)
                .io_apic(3, 0xFEC00000, 24)
                .override_(0, 9, 20, 0xD)
                .nmi_source(0x5, 23)
                .lapic_nmi(0xFF, 0x5, 1)
                .address_override(0x1FEE00000)
                .x2apic(0x1234, 3, 77)
                .x2apic_nmi(0xFFFFFFFF, 0xF, 0)
                .wakeup(0, 0xABC000, true, 0xDEF000)
                .entry(0x7F, 12, Bytes(10, 0xEE))
                .finish();
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  EXPECT_EQ(madt.value().lapic_address(), 0xFEE00000u);
  EXPECT_TRUE(madt.value().pcat_compat());
  EXPECT_EQ(madt.value().revision(), 5);
  auto e = all_entries(madt.value());
  ASSERT_EQ(e.size(), 10u);
  EXPECT_EQ(e[0].offset, 44u);
  EXPECT_EQ(e[0].local_apic.uid, 1u);
  EXPECT_EQ(acpi::to_raw(e[0].local_apic.apic_id), 2u);
  EXPECT_EQ(e[0].local_apic.flags, 1u);
  EXPECT_EQ(e[1].io_apic.id, 3);
  EXPECT_EQ(e[1].io_apic.address, 0xFEC00000u);
  EXPECT_EQ(e[1].io_apic.gsi_base, 24u);
  EXPECT_EQ(e[2].override_.bus, 0);
  EXPECT_EQ(e[2].override_.source_irq, 9);
  EXPECT_EQ(e[2].override_.gsi, 20u);
  EXPECT_EQ(e[2].override_.flags, 0xD);
  EXPECT_EQ(acpi::inti_polarity(e[2].override_.flags), acpi::Polarity::kActiveHigh);
  EXPECT_EQ(acpi::inti_trigger(e[2].override_.flags), acpi::Trigger::kLevel);
  EXPECT_EQ(e[3].nmi_source.flags, 5);
  EXPECT_EQ(e[3].nmi_source.gsi, 23u);
  EXPECT_EQ(e[4].lapic_nmi.uid, 0xFFu);
  EXPECT_EQ(e[4].lapic_nmi.flags, 5);
  EXPECT_EQ(e[4].lapic_nmi.lint, 1);
  EXPECT_EQ(e[5].address_override.address, 0x1FEE00000u);
  EXPECT_TRUE(e[6].is(acpi::MadtType::kLocalX2Apic));
  EXPECT_EQ(acpi::to_raw(e[6].local_apic.apic_id), 0x1234u);
  EXPECT_EQ(e[6].local_apic.flags, 3u);
  EXPECT_EQ(e[6].local_apic.uid, 77u);
  EXPECT_EQ(e[7].lapic_nmi.uid, 0xFFFFFFFFu);
  EXPECT_EQ(e[7].lapic_nmi.flags, 0xF);
  EXPECT_EQ(e[7].lapic_nmi.lint, 0);
  EXPECT_EQ(e[8].wakeup.mailbox_version, 0);
  EXPECT_EQ(e[8].wakeup.mailbox_address, 0xABC000u);
  EXPECT_EQ(e[8].wakeup.reset_vector, 0xDEF000u);
  EXPECT_EQ(e[9].type, 0x7F);
  EXPECT_EQ(e[9].length, 12);
}

TEST(AcpiMadt, LongerEntriesAreAcceptedAndTheWalkContinues) {
  Bytes t = MadtBuilder().entry(0, 10, {0, 4, 1, 0, 0, 0, 0xAA, 0xBB}).local_apic(1, 5, 1).finish();
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  auto e = all_entries(madt.value());
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(acpi::to_raw(e[0].local_apic.apic_id), 4u);
  EXPECT_EQ(e[1].offset, 54u);
  EXPECT_EQ(acpi::to_raw(e[1].local_apic.apic_id), 5u);
}

TEST(AcpiMadt, ZeroLengthEntryIsAnError) {
  acpi::Error err = first_error(MadtBuilder().local_apic(0, 0, 1).entry(0, 0, Bytes(6, 0)).finish());
  EXPECT_STREQ(err.table.text, "APIC");
  EXPECT_EQ(err.offset, 52u);
  EXPECT_EQ(err.reason, acpi::Reason::kEntryZeroLength);
}

TEST(AcpiMadt, EntryShorterThanItsTypeIsAnErrorForEveryType) {
  for (std::uint8_t type : {0, 1, 2, 3, 4, 5, 9, 0xA, 0x10}) {
    std::uint8_t short_length = static_cast<std::uint8_t>(acpi::madt_min_length(type) - 1);
    Bytes t = MadtBuilder().entry(type, short_length, Bytes(short_length - 2, 0)).local_apic(0, 0, 1).finish();
    acpi::Error err = first_error(t);
    EXPECT_EQ(err.reason, acpi::Reason::kEntryTooShort) << "type " << int(type);
    EXPECT_EQ(err.offset, 44u);
    EXPECT_EQ(err.value, type);
  }
  // Unknown types need their two header bytes.
  acpi::Error err = first_error(MadtBuilder().entry(0x7F, 1, {}).finish());
  EXPECT_EQ(err.reason, acpi::Reason::kEntryTooShort);
}

TEST(AcpiMadt, EntryCrossingTheEndIsAnError) {
  Bytes t = MadtBuilder().local_apic(0, 0, 1).entry(1, 12, Bytes(4, 0)).finish();
  acpi::Error err = first_error(t);
  EXPECT_EQ(err.reason, acpi::Reason::kEntryCrossesEnd);
  EXPECT_EQ(err.offset, 52u);
  EXPECT_EQ(err.value, 12u);
  // A single stray byte at the end cannot even hold a type and a length.
  Bytes stray = MadtBuilder().local_apic(0, 0, 1).u8(0).finish();
  err = first_error(stray);
  EXPECT_EQ(err.reason, acpi::Reason::kEntryCrossesEnd);
  EXPECT_EQ(err.offset, 52u);
}

TEST(AcpiMadt, TheCursorStaysAtTheEndAfterAnError) {
  Bytes t = MadtBuilder().entry(0, 0, Bytes(6, 0)).finish();
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  auto cursor = madt.value().entries();
  acpi::MadtEntry e;
  EXPECT_FALSE(cursor.next(e).ok());
  auto again = cursor.next(e);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value());
}

TEST(AcpiMadt, TableTooShortForFixedFields) {
  Bytes t = TableBuilder("APIC", 1).u32(0xFEE00000).finish();  // no flags field
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_FALSE(madt.ok());
  EXPECT_EQ(madt.error().reason, acpi::Reason::kTableTooShort);
  EXPECT_STREQ(madt.error().table.text, "APIC");
}

TEST(AcpiMadt, NeverReadsPastTheGivenLength) {
  // The table claims more bytes than the caller has: refused before any entry is read.
  Bytes t = MadtBuilder().local_apic(0, 0, 1).finish();
  auto madt = acpi::Madt::parse(t.data(), t.size() - 1, nullptr);
  ASSERT_FALSE(madt.ok());
  EXPECT_EQ(madt.error().reason, acpi::Reason::kLengthBeyondMapping);
}

}  // namespace
}  // namespace acpi_test
