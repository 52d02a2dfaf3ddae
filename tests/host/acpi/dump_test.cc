// The acpidump-layout writer (used by the kernel's acpi=dump) and acpiinfo's reader of it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "acpi/dump.h"
#include "acpi/tools/acpiinfo/dump_text.h"
#include "acpi/tools/acpiinfo/inputs.h"
#include "acpi/tools/acpiinfo/report.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

struct Lines final : acpi::LineSink {
  void line(const char* text, std::size_t length) override { lines.emplace_back(text, length); }
  std::string joined(const std::string& prefix = "") const {
    std::string out;
    for (const auto& l : lines) out += prefix + l + "\n";
    return out;
  }
  std::vector<std::string> lines;
};

TEST(AcpiDump, MatchesAcpidumpLayout) {
  Bytes b = MadtBuilder(1).local_apic(0, 0, 1).io_apic(1, 0xFEC00000, 0).lapic_nmi(0xFF, 0, 1).finish();
  Lines out;
  acpi::dump_table(out, "APIC", 0x7FFE18F0, b.data(), b.size());
  ASSERT_EQ(out.lines.size(), 1 + (b.size() + 15) / 16 + 1);
  EXPECT_EQ(out.lines[0], "APIC @ 0x000000007FFE18F0");
  // 10 columns of offset, 16 x "HH ", one more space, then 16 ASCII characters.
  EXPECT_EQ(out.lines[1].size(), 10u + 48 + 1 + 16);
  EXPECT_EQ(out.lines[1].substr(0, 37), "    0000: 41 50 49 43 46 00 00 00 01 ");
  EXPECT_EQ(out.lines[1].substr(40), "50 4C 45 49 41 44  APICF.....PLEIAD");
  // The last line (6 bytes) pads the hex column so the ASCII column stays aligned.
  EXPECT_EQ(out.lines[5], "    0040: 04 06 FF 00 00 01                                ......");
  EXPECT_EQ(out.lines.back(), "");
}

TEST(AcpiDump, RoundTripsThroughTheReaderEvenWithLogPrefixes) {
  Bytes apic = MadtBuilder().local_apic(0, 0, 1).x2apic(0x20, 1, 1).finish();
  Bytes hpet = TableBuilder("HPET", 1).zeros(20).finish();
  Lines out;
  acpi::dump_table(out, "APIC", 0x1000, apic.data(), apic.size());
  acpi::dump_table(out, "HPET", 0x2000, hpet.data(), hpet.size());
  for (const std::string& prefix : {std::string(""), std::string("[    0.123456] acpi: ")}) {
    std::vector<acpiinfo::DumpedTable> tables;
    acpiinfo::DumpParseError error;
    ASSERT_TRUE(acpiinfo::parse_dump("some other text\n" + out.joined(prefix), tables, error)) << error.message;
    ASSERT_EQ(tables.size(), 2u);
    EXPECT_EQ(tables[0].name, "APIC");
    EXPECT_EQ(tables[0].phys, 0x1000u);
    EXPECT_EQ(tables[0].bytes, apic);
    EXPECT_EQ(tables[1].name, "HPET");
    EXPECT_EQ(tables[1].bytes, hpet);
  }
}

TEST(AcpiDump, ReaderRejectsAGapInTheOffsets) {
  std::string text =
      "APIC @ 0x0000000000001000\n"
      "    0000: 41 50 49 43 2C 00 00 00 01 00 00 00 00 00 00 00  APIC,...........\n"
      "    0020: 00 00 00 00 00 00 00 00 00 00 00 00              ............\n";
  std::vector<acpiinfo::DumpedTable> tables;
  acpiinfo::DumpParseError error;
  EXPECT_FALSE(acpiinfo::parse_dump(text, tables, error));
  EXPECT_EQ(error.line, 3u);
}

TEST(AcpiDump, ReaderKeepsHexLookingAsciiOutOfTheBytes) {
  // The ASCII column of a short line can look like hex ("AB CD"): two spaces end the bytes.
  std::string text =
      "TEST @ 0x0000000000001000\n"
      "    0000: 41 42 20 43 44                                   AB CD\n";
  std::vector<acpiinfo::DumpedTable> tables;
  acpiinfo::DumpParseError error;
  ASSERT_TRUE(acpiinfo::parse_dump(text, tables, error));
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].bytes, (Bytes{0x41, 0x42, 0x20, 0x43, 0x44}));
}

// A whole machine dumped the way the kernel does (RSDP, XSDT, tables, each at its address):
// acpiinfo must find the tables through the RSDP and decode them.
TEST(AcpiDump, AcpiinfoWalksAWholeDumpFromTheRsdp) {
  Bytes apic = MadtBuilder(3).local_apic(0, 0, 1).local_apic(1, 1, 1).io_apic(2, 0xFEC00000, 0)
                   .override_(0, 0, 2, 0).lapic_nmi(0xFF, 0, 1).finish();
  Bytes decoy = MadtBuilder(3).local_apic(0, 9, 1).finish();  // not referenced by the XSDT
  Lines out;
  Bytes rsdp = make_rsdp(2, 0, 0x2000);
  Bytes xsdt = make_root("XSDT", {0x3000});
  acpi::dump_table(out, "RSDP", 0x1000, rsdp.data(), rsdp.size());
  acpi::dump_table(out, "APIC", 0x9000, decoy.data(), decoy.size());
  acpi::dump_table(out, "XSDT", 0x2000, xsdt.data(), xsdt.size());
  acpi::dump_table(out, "APIC", 0x3000, apic.data(), apic.size());
  acpiinfo::Inputs inputs;
  std::string error;
  ASSERT_TRUE(inputs.add("kernel.log", out.joined(), error)) << error;
  acpiinfo::Report report = acpiinfo::build_report(inputs, acpiinfo::Options{false, acpi::ApicId{1}});
  EXPECT_TRUE(report.errors.empty()) << report.errors[0];
  EXPECT_EQ(report.source, "through the RSDP, XSDT");
  ASSERT_TRUE(report.topology.has_value());
  ASSERT_EQ(report.topology->cpus.size(), 2u);
  EXPECT_EQ(acpi::to_raw(report.topology->cpus[0].apic_id), 1u);
  EXPECT_EQ(acpi::to_raw(report.topology->cpus[1].apic_id), 0u);
  EXPECT_EQ(report.topology->ioapics.size(), 1u);
}

TEST(AcpiDump, AcpiinfoErrorsNameFileTableAndOffset) {
  Bytes apic = MadtBuilder().local_apic(0, 0, 1).entry(1, 0, Bytes(10, 0)).finish();
  acpiinfo::Inputs inputs;
  std::string error;
  ASSERT_TRUE(inputs.add("apic.dat", std::string(apic.begin(), apic.end()), error));
  acpiinfo::Report report = acpiinfo::build_report(inputs, acpiinfo::Options{});
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("apic.dat"), std::string::npos) << report.errors[0];
  EXPECT_NE(report.errors[0].find("APIC"), std::string::npos);
  EXPECT_NE(report.errors[0].find("offset 0x34"), std::string::npos);
  EXPECT_NE(report.errors[0].find("length 0"), std::string::npos);
}

}  // namespace
}  // namespace acpi_test
