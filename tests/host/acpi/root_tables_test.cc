// The header checks every table gets, the RSDP, and the XSDT/RSDT walk.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acpi/root_tables.h"
#include "acpi/rsdp.h"
#include "acpi/sdt.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

struct Warnings final : acpi::Diagnostics {
  void warning(const acpi::Error& w) override { list.push_back(w); }
  bool saw(acpi::Reason r) const {
    for (const auto& w : list) {
      if (w.reason == r) return true;
    }
    return false;
  }
  std::vector<acpi::Error> list;
};

Bytes simple_table(const char* sig) { return TableBuilder(sig, 1).u32(0x12345678).finish(); }

TEST(AcpiSdt, AcceptsWellFormedTable) {
  Bytes t = simple_table("HPET");
  auto r = acpi::check_table(t.data(), t.size(), "HPET", nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().length, 40u);
  EXPECT_TRUE(r.value().checksum_ok);
  EXPECT_STREQ(r.value().header.oem_id, "PLEIAD");
  EXPECT_STREQ(r.value().header.oem_table_id, "TESTTBL ");
}

TEST(AcpiSdt, ShorterThanHeaderIsAnError) {
  Bytes t = simple_table("HPET");
  auto r = acpi::check_table(t.data(), 20, "HPET", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kTableShorterThanHeader);
  EXPECT_STREQ(r.error().table.text, "HPET");
  EXPECT_EQ(r.error().offset, 0u);
}

TEST(AcpiSdt, LengthFieldBelowHeaderIsAnError) {
  Bytes t = simple_table("HPET");
  put_le32(t, 4, 20);
  auto r = acpi::check_table(t.data(), t.size(), nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kTableShorterThanHeader);
  EXPECT_EQ(r.error().offset, 4u);
  EXPECT_EQ(r.error().value, 20u);
}

TEST(AcpiSdt, LengthFieldBeyondBytesIsAnError) {
  Bytes t = simple_table("HPET");
  put_le32(t, 4, 4096);
  auto r = acpi::check_table(t.data(), t.size(), nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kLengthBeyondMapping);
  EXPECT_EQ(r.error().value, 4096u);
}

TEST(AcpiSdt, WrongSignatureIsAnError) {
  Bytes t = simple_table("HPET");
  auto r = acpi::check_table(t.data(), t.size(), "APIC", nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kSignatureMismatch);
}

TEST(AcpiSdt, BadChecksumIsOnlyAWarning) {
  Bytes t = simple_table("HPET");
  t[9] ^= 0x5A;
  Warnings w;
  auto r = acpi::check_table(t.data(), t.size(), "HPET", &w);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().checksum_ok);
  ASSERT_EQ(w.list.size(), 1u);
  EXPECT_EQ(w.list[0].reason, acpi::Reason::kChecksum);
  EXPECT_EQ(w.list[0].offset, 9u);
  EXPECT_STREQ(w.list[0].table.text, "HPET");
}

TEST(AcpiRsdp, Version1) {
  Bytes b = make_rsdp(0, 0x1000, 0);
  auto r = acpi::parse_rsdp(b.data(), b.size(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().revision, 0);
  EXPECT_EQ(r.value().rsdt, 0x1000u);
  EXPECT_EQ(r.value().xsdt, 0u);
  EXPECT_STREQ(r.value().oem_id, "PLEIAD");
}

TEST(AcpiRsdp, Version2) {
  Bytes b = make_rsdp(2, 0x1000, 0x123456789000);
  auto r = acpi::parse_rsdp(b.data(), b.size(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().xsdt, 0x123456789000u);
  EXPECT_EQ(r.value().length, 36u);
}

TEST(AcpiRsdp, BadSignatureAndChecksumAreErrors) {
  Bytes b = make_rsdp(0, 0x1000, 0);
  b[0] = 'X';
  auto r = acpi::parse_rsdp(b.data(), b.size(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kRsdpSignature);
  b = make_rsdp(0, 0x1000, 0);
  b[16] ^= 1;
  auto sum = acpi::parse_rsdp(b.data(), b.size(), nullptr);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().reason, acpi::Reason::kRsdpChecksum);
  EXPECT_EQ(sum.error().offset, 8u);
  EXPECT_STREQ(sum.error().table.text, "RSDP");
  auto short_rsdp = acpi::parse_rsdp(b.data(), 19, nullptr);
  ASSERT_FALSE(short_rsdp.ok());
  EXPECT_EQ(short_rsdp.error().reason, acpi::Reason::kTableTooShort);
}

TEST(AcpiRsdp, BadExtendedChecksumDropsTheXsdt) {
  Bytes b = make_rsdp(2, 0x1000, 0x2000);
  b[32] ^= 1;
  Warnings w;
  auto r = acpi::parse_rsdp(b.data(), b.size(), &w);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().xsdt, 0u);
  EXPECT_EQ(r.value().rsdt, 0x1000u);
  EXPECT_TRUE(w.saw(acpi::Reason::kRsdpExtendedChecksum));
}

TEST(AcpiRsdp, BadLengthDropsTheXsdt) {
  Bytes b = make_rsdp(2, 0x1000, 0x2000);
  put_le32(b, 20, 200);  // more than the 36 bytes there are
  Warnings w;
  auto r = acpi::parse_rsdp(b.data(), b.size(), &w);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().xsdt, 0u);
  EXPECT_TRUE(w.saw(acpi::Reason::kRsdpLength));
}

// A machine: RSDP at 0x1000, XSDT at 0x2000, RSDT at 0x3000, tables from 0x10000.
struct Machine {
  MemoryImage memory;
  Machine(bool with_xsdt, std::vector<std::uint64_t> xsdt_entries, std::vector<std::uint64_t> rsdt_entries) {
    memory.place(0x1000, make_rsdp(with_xsdt ? 2 : 0, 0x3000, with_xsdt ? 0x2000 : 0));
    if (with_xsdt) memory.place(0x2000, make_root("XSDT", xsdt_entries));
    memory.place(0x3000, make_root("RSDT", rsdt_entries));
    memory.place(0x10000, simple_table("APIC"));
    memory.place(0x11000, simple_table("SSDT"));
    memory.place(0x12000, simple_table("SSDT"));
    memory.place(0x13000, simple_table("HPET"));
  }
};

TEST(AcpiRootTables, PrefersXsdt) {
  Machine m(true, {0x10000, 0x11000, 0x12000}, {0x13000});
  auto root = acpi::RootTables::open(m.memory, 0x1000, nullptr);
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root.value().uses_xsdt());
  EXPECT_EQ(root.value().entry_count(), 3u);
  EXPECT_FALSE(root.value().find("HPET", 0, nullptr).ok());  // only in the RSDT
  auto ssdt1 = root.value().find("SSDT", 1, nullptr);
  ASSERT_TRUE(ssdt1.ok());
  EXPECT_EQ(ssdt1.value().phys, 0x12000u);
  auto ssdt2 = root.value().find("SSDT", 2, nullptr);
  ASSERT_FALSE(ssdt2.ok());
  EXPECT_EQ(ssdt2.error().reason, acpi::Reason::kNotFound);
}

TEST(AcpiRootTables, UsesRsdtForVersion1) {
  Machine m(false, {}, {0x13000, 0x10000});
  auto root = acpi::RootTables::open(m.memory, 0x1000, nullptr);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root.value().uses_xsdt());
  EXPECT_TRUE(root.value().find("APIC", 0, nullptr).ok());
  EXPECT_TRUE(root.value().find("HPET", 0, nullptr).ok());
}

TEST(AcpiRootTables, FallsBackToRsdtWhenXsdtUnreadable) {
  Machine m(true, {}, {0x10000});
  m.memory.place(0x2000, Bytes{});  // XSDT address now maps to nothing
  Warnings w;
  auto root = acpi::RootTables::open(m.memory, 0x1000, &w);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root.value().uses_xsdt());
  EXPECT_TRUE(w.saw(acpi::Reason::kXsdtUnusable));
  EXPECT_TRUE(w.saw(acpi::Reason::kTableUnreadable));
}

TEST(AcpiRootTables, FallsBackToRsdtWhenXsdtHasWrongSignatureOrNoEntries) {
  Machine bad_sig(true, {0x10000}, {0x10000});
  bad_sig.memory.place(0x2000, simple_table("FOOO"));
  Warnings w;
  auto root = acpi::RootTables::open(bad_sig.memory, 0x1000, &w);
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root.value().uses_xsdt());
  EXPECT_TRUE(w.saw(acpi::Reason::kSignatureMismatch));

  Machine empty(true, {}, {0x10000});
  auto root_empty = acpi::RootTables::open(empty.memory, 0x1000, nullptr);
  ASSERT_TRUE(root_empty.ok());
  EXPECT_FALSE(root_empty.value().uses_xsdt());

  Machine null_first(true, {0, 0x10000}, {0x10000});
  auto root_null = acpi::RootTables::open(null_first.memory, 0x1000, nullptr);
  ASSERT_TRUE(root_null.ok());
  EXPECT_FALSE(root_null.value().uses_xsdt());
}

TEST(AcpiRootTables, NoUsableRootIsAnError) {
  MemoryImage memory;
  memory.place(0x1000, make_rsdp(0, 0, 0));
  auto root = acpi::RootTables::open(memory, 0x1000, nullptr);
  ASSERT_FALSE(root.ok());
  EXPECT_EQ(root.error().reason, acpi::Reason::kNoRootTable);
  auto unreadable = acpi::RootTables::open(memory, 0x9000, nullptr);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().reason, acpi::Reason::kRsdpUnreadable);
}

TEST(AcpiRootTables, EntryPointingAtNothingNamesTheRootAndOffset) {
  Machine m(true, {0x10000, 0x77000, 0x13000}, {});
  Warnings w;
  auto root = acpi::RootTables::open(m.memory, 0x1000, &w);
  ASSERT_TRUE(root.ok());
  auto bad = root.value().table_at(1, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_STREQ(bad.error().table.text, "XSDT");
  EXPECT_EQ(bad.error().offset, 44u);  // 36 + 8
  EXPECT_EQ(bad.error().reason, acpi::Reason::kTableUnreadable);
  EXPECT_EQ(bad.error().value, 0x77000u);
  // find() reports the broken entry and still finds the table after it.
  auto hpet = root.value().find("HPET", 0, &w);
  ASSERT_TRUE(hpet.ok());
  EXPECT_TRUE(w.saw(acpi::Reason::kTableUnreadable));
}

TEST(AcpiRootTables, TableLongerThanItsMappingIsAnError) {
  Machine m(true, {0x10000}, {});
  Bytes apic = simple_table("APIC");
  put_le32(apic, 4, 0x800);  // claims 2 KiB, only 40 bytes are there
  m.memory.place(0x10000, apic);
  auto root = acpi::RootTables::open(m.memory, 0x1000, nullptr);
  ASSERT_TRUE(root.ok());
  auto t = root.value().find("APIC", 0, nullptr);
  ASSERT_FALSE(t.ok());
  EXPECT_STREQ(t.error().table.text, "APIC");
  EXPECT_EQ(t.error().offset, 4u);
  EXPECT_EQ(t.error().reason, acpi::Reason::kLengthBeyondMapping);
}

TEST(AcpiRootTables, TrailingPartialEntryIsIgnoredWithAWarning) {
  Machine m(true, {0x10000}, {});
  Bytes xsdt = make_root("XSDT", {0x10000});
  xsdt.insert(xsdt.end(), {1, 2, 3});
  put_le32(xsdt, 4, static_cast<std::uint32_t>(xsdt.size()));
  fix_checksum(xsdt);
  m.memory.place(0x2000, xsdt);
  Warnings w;
  auto root = acpi::RootTables::open(m.memory, 0x1000, &w);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root.value().entry_count(), 1u);
  EXPECT_TRUE(w.saw(acpi::Reason::kRootTrailingBytes));
}

}  // namespace
}  // namespace acpi_test
