// The kernel's own acpi=dump logs of QEMU machines (tests/data/acpi/*.log, see the README there):
// acpiinfo must find every table through the RSDP and decode the topology QEMU was asked for.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "acpi/tools/acpiinfo/inputs.h"
#include "acpi/tools/acpiinfo/report.h"

namespace acpi_test {
namespace {

namespace fs = std::filesystem;

struct Capture {
  const char* name;
  std::size_t usable;   // -smp N: N CPUs
  std::size_t skipped;  // maxcpus=M: M - N hot-pluggable entries, disabled in QEMU's MADT
  bool hpet;
};

const Capture kCaptures[] = {
    {"q35-smp1", 1, 0, true},  {"q35-smp4", 4, 0, true},  {"q35-smp8", 8, 0, true},
    {"q35-smp2-maxcpus8", 2, 6, true}, {"q35-nohpet", 1, 0, false},
    {"pc-smp1", 1, 0, true},   {"pc-smp4", 4, 0, true},   {"pc-smp8", 8, 0, true},
    {"pc-smp2-maxcpus8", 2, 6, true},  {"pc-nohpet", 1, 0, false},
};

class QemuCapture : public ::testing::TestWithParam<Capture> {};

TEST_P(QemuCapture, DecodesThroughTheRsdp) {
  const Capture& c = GetParam();
  const fs::path log = fs::path(PLEIADES_ACPI_TEST_DATA) / (std::string(c.name) + ".log");
  acpiinfo::Inputs inputs;
  std::string error;
  ASSERT_TRUE(inputs.load(log.string(), error)) << error;
  acpiinfo::Report report = acpiinfo::build_report(inputs, acpiinfo::Options{false, acpi::ApicId{0}});
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
  EXPECT_EQ(report.source, "through the RSDP, XSDT");
  ASSERT_TRUE(report.topology.has_value());
  const acpiinfo::TopologyReport& t = *report.topology;
  ASSERT_EQ(t.cpus.size(), c.usable);
  for (std::size_t i = 0; i < t.cpus.size(); ++i) {
    EXPECT_EQ(acpi::to_raw(t.cpus[i].apic_id), i);  // QEMU numbers APIC IDs 0..N-1 for flat -smp
    EXPECT_TRUE(t.cpus[i].enabled);
  }
  ASSERT_EQ(t.skipped.size(), c.skipped);
  for (const acpi::SkippedCpu& s : t.skipped) EXPECT_EQ(s.reason, acpi::SkipReason::kDisabled);
  EXPECT_EQ(t.lapic_address, 0xFEE00000u);
  EXPECT_TRUE(t.pcat_compat);
  ASSERT_EQ(t.ioapics.size(), 1u);
  EXPECT_EQ(t.ioapics[0].address, 0xFEC00000u);
  ASSERT_FALSE(t.overrides.empty());
  EXPECT_EQ(t.overrides[0].source_irq, 0);  // the timer: IRQ 0 -> GSI 2 on every PC
  EXPECT_EQ(t.overrides[0].gsi, 2u);
  EXPECT_EQ(report.hpet.has_value(), c.hpet);
  ASSERT_TRUE(report.fadt.has_value());
  EXPECT_TRUE(report.fadt->pm_timer_present);
  EXPECT_EQ(report.has_mcfg, std::string(c.name).rfind("q35", 0) == 0);  // PCIe only on q35
}

INSTANTIATE_TEST_SUITE_P(Qemu, QemuCapture, ::testing::ValuesIn(kCaptures),
                         [](const ::testing::TestParamInfo<Capture>& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace acpi_test
