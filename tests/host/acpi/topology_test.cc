// Topology policy: which CPUs are usable, logical numbering, skipped entries, NMI and IOAPIC data.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "acpi/host/topology_storage.h"
#include "acpi/topology.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

// Owns storage sized by the counting pass, the way the kernel and acpiinfo do it.
struct Built {
  std::unique_ptr<acpi::host::TopologyStorage> storage;
  acpi::Topology topo;  // a view of storage->topology after build()
  bool ok = false;
  acpi::Error error;
};

Built build(const Bytes& table, std::uint32_t boot) {
  Built b;
  auto madt = acpi::Madt::parse(table.data(), table.size(), nullptr);
  EXPECT_TRUE(madt.ok());
  auto sizes = acpi::measure_topology(madt.value());
  if (!sizes.ok()) {
    b.error = sizes.error();
    return b;
  }
  b.storage = std::make_unique<acpi::host::TopologyStorage>(sizes.value());
  auto r = acpi::build_topology(madt.value(), acpi::ApicId{boot}, b.storage->topology);
  b.topo = b.storage->topology;
  b.ok = r.ok();
  if (!r.ok()) b.error = r.error();
  return b;
}

std::vector<std::uint32_t> apic_ids(const acpi::Topology& t) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < t.cpus.size; ++i) out.push_back(acpi::to_raw(t.cpus[i].apic_id));
  return out;
}

TEST(AcpiTopology, BootCpuIsLogicalZeroWhateverItsPosition) {
  Bytes t = MadtBuilder().local_apic(0, 0, 1).local_apic(1, 2, 1).local_apic(2, 4, 1).local_apic(3, 6, 1).finish();
  Built b = build(t, 4);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{4, 0, 2, 6}));
  EXPECT_EQ(b.topo.boot_status, acpi::BootCpuStatus::kListed);
  EXPECT_EQ(b.topo.cpus[0].uid, 2u);
}

TEST(AcpiTopology, DisabledAndPlaceholderEntriesAreSkippedWithReasons) {
  Bytes t = MadtBuilder(3).local_apic(0, 0, 1).local_apic(1, 1, 0).local_apic(0xFF, 0xFF, 0)
                .local_apic(2, 0xFF, 1).x2apic(0xFFFFFFFF, 1, 9).finish();
  Built b = build(t, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{0}));
  ASSERT_EQ(b.topo.skipped.size, 4u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kDisabled);
  EXPECT_EQ(acpi::to_raw(b.topo.skipped[0].apic_id), 1u);
  EXPECT_EQ(b.topo.skipped[0].madt_offset, 52u);
  EXPECT_EQ(b.topo.skipped[1].reason, acpi::SkipReason::kPlaceholderId);
  // Even an "enabled" entry with the placeholder ID describes no CPU.
  EXPECT_EQ(b.topo.skipped[2].reason, acpi::SkipReason::kPlaceholderId);
  EXPECT_EQ(b.topo.skipped[3].reason, acpi::SkipReason::kPlaceholderId);
  EXPECT_TRUE(b.topo.skipped[3].x2apic);
  EXPECT_EQ(b.topo.skipped[3].uid, 9u);
}

// ACPI 6.5 §5.2.12.2: Enabled = 0, Online Capable = 1 is a CPU that may be hot-added later:
// counted as possible, never started at boot.
TEST(AcpiTopology, OnlineCapableCpusAreCountedNotStarted) {
  Bytes rev5 = MadtBuilder(5)
                   .local_apic(0, 0, acpi::kMadtCpuEnabled)
                   .local_apic(1, 1, acpi::kMadtCpuOnlineCapable)
                   .x2apic(0x200, acpi::kMadtCpuOnlineCapable, 7)
                   .local_apic(3, 3, 0)
                   .finish();
  Built b = build(rev5, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(b.topo.hotpluggable, 2u);
  ASSERT_EQ(b.topo.skipped.size, 3u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kOnlineCapable);
  EXPECT_EQ(acpi::to_raw(b.topo.skipped[0].apic_id), 1u);
  EXPECT_EQ(b.topo.skipped[1].reason, acpi::SkipReason::kOnlineCapable);
  EXPECT_EQ(acpi::to_raw(b.topo.skipped[1].apic_id), 0x200u);
  EXPECT_TRUE(b.topo.skipped[1].x2apic);
  EXPECT_EQ(b.topo.skipped[2].reason, acpi::SkipReason::kDisabled);
  acpi::ApicId first{0xFFFF'FFFF};  // not a usable ID: the call must write it
  auto madt = acpi::Madt::parse(rev5.data(), rev5.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  ASSERT_TRUE(acpi::first_usable_apic_id(madt.value(), first).value());
  EXPECT_EQ(acpi::to_raw(first), 0u);
}

TEST(AcpiTopology, OnlineCapableBitIsIgnoredBeforeRevision5) {
  Bytes rev4 = MadtBuilder(4).local_apic(0, 0, 1).local_apic(1, 1, acpi::kMadtCpuOnlineCapable).finish();
  Built b = build(rev4, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.topo.cpus.size, 1u);
  EXPECT_EQ(b.topo.hotpluggable, 0u);
  ASSERT_EQ(b.topo.skipped.size, 1u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kDisabled);
}

TEST(AcpiTopology, EnabledAndOnlineCapableIsStarted) {
  Bytes t = MadtBuilder(5).local_apic(0, 0, 1).local_apic(1, 1, 3).finish();
  Built b = build(t, 0);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.topo.cpus.size, 2u);
  EXPECT_TRUE(b.topo.cpus[1].enabled);
  EXPECT_TRUE(b.topo.cpus[1].online_capable);
  EXPECT_EQ(b.topo.hotpluggable, 0u);
}

TEST(AcpiTopology, OnlineCapableIdsListedTwiceOrAlreadyStartedCountOnce) {
  // APIC ID 1 as Local APIC and Local x2APIC (both online capable), APIC ID 0 enabled and then
  // online capable again.
  Bytes t = MadtBuilder(5)
                .local_apic(0, 0, 1)
                .local_apic(1, 1, acpi::kMadtCpuOnlineCapable)
                .x2apic(1, acpi::kMadtCpuOnlineCapable, 1)
                .x2apic(0, acpi::kMadtCpuOnlineCapable, 0)
                .finish();
  Built b = build(t, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.topo.cpus.size, 1u);
  EXPECT_EQ(b.topo.hotpluggable, 1u);
  ASSERT_EQ(b.topo.skipped.size, 3u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kOnlineCapable);
  EXPECT_EQ(b.topo.skipped[1].reason, acpi::SkipReason::kDuplicateId);
  EXPECT_EQ(b.topo.skipped[1].duplicate_of, b.topo.skipped[0].madt_offset);
  EXPECT_EQ(b.topo.skipped[2].reason, acpi::SkipReason::kDuplicateId);
  EXPECT_EQ(b.topo.skipped[2].duplicate_of, b.topo.cpus[0].madt_offset);
}

TEST(AcpiTopology, BootCpuWithOnlyAnOnlineCapableEntryIsUsedAnyway) {
  Bytes t = MadtBuilder(5).local_apic(0, 2, 1).local_apic(1, 4, acpi::kMadtCpuOnlineCapable).finish();
  Built b = build(t, 4);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{4, 2}));
  EXPECT_EQ(b.topo.boot_status, acpi::BootCpuStatus::kListedUnusable);
  EXPECT_EQ(b.topo.hotpluggable, 0u);
  EXPECT_EQ(b.topo.skipped.size, 0u);
}

TEST(AcpiTopology, AnApicIdListedAsXapicAndX2apicCountsOnce) {
  Bytes t = MadtBuilder().local_apic(0, 0, 1).local_apic(1, 1, 1).x2apic(1, 1, 1).x2apic(0x100, 1, 2).finish();
  Built b = build(t, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{0, 1, 0x100}));
  EXPECT_TRUE(b.topo.cpus[2].x2apic);
  ASSERT_EQ(b.topo.skipped.size, 1u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kDuplicateId);
  EXPECT_EQ(b.topo.skipped[0].madt_offset, 60u);
  EXPECT_EQ(b.topo.skipped[0].duplicate_of, 52u);
}

TEST(AcpiTopology, DisabledDuplicatesOfAUsableIdAreReportedAsDisabled) {
  // Real firmware (ASRock B650) lists 20 disabled entries with APIC ID 0 after the real CPUs.
  Bytes t = MadtBuilder().local_apic(0, 0, 1).local_apic(1, 1, 1).local_apic(12, 0, 0).finish();
  Built b = build(t, 0);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.topo.cpus.size, 2u);
  ASSERT_EQ(b.topo.skipped.size, 1u);
  EXPECT_EQ(b.topo.skipped[0].reason, acpi::SkipReason::kDisabled);
}

TEST(AcpiTopology, BootCpuMissingFromTheTableIsAddedFirst) {
  Bytes t = MadtBuilder().local_apic(0, 2, 1).local_apic(1, 4, 1).finish();
  Built b = build(t, 7);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{7, 2, 4}));
  EXPECT_EQ(b.topo.boot_status, acpi::BootCpuStatus::kNotListed);
  EXPECT_FALSE(b.topo.cpus[0].listed);
}

TEST(AcpiTopology, BootCpuWithDisabledEntryIsUsedAnyway) {
  Bytes t = MadtBuilder().local_apic(0, 2, 1).local_apic(1, 4, 0).finish();
  Built b = build(t, 4);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(apic_ids(b.topo), (std::vector<std::uint32_t>{4, 2}));
  EXPECT_EQ(b.topo.boot_status, acpi::BootCpuStatus::kListedUnusable);
  EXPECT_EQ(b.topo.cpus[0].uid, 1u);
  EXPECT_EQ(b.topo.skipped.size, 0u);
}

TEST(AcpiTopology, ThousandsOfX2apicCpusWithThirtyTwoBitIds) {
  MadtBuilder m;
  const std::uint32_t count = 2048;
  for (std::uint32_t i = 0; i < count; ++i) m.x2apic(0x10000 + i * 2, 1, i);
  Bytes t = m.finish();
  Built b = build(t, 0x10000 + 1000 * 2);
  ASSERT_TRUE(b.ok);
  ASSERT_EQ(b.topo.cpus.size, count);
  EXPECT_EQ(acpi::to_raw(b.topo.cpus[0].apic_id), 0x10000u + 2000);
  EXPECT_EQ(acpi::to_raw(b.topo.cpus[1].apic_id), 0x10000u);
  EXPECT_EQ(acpi::to_raw(b.topo.cpus[count - 1].apic_id), 0x10000u + (count - 1) * 2);
  EXPECT_EQ(b.topo.cpus[1000].uid, 999u);
  EXPECT_EQ(b.topo.cpus[1001].uid, 1001u);
}

TEST(AcpiTopology, NmisIoapicsOverridesAndAddressOverride) {
  Bytes t = MadtBuilder(3, 0xFEE00000, 0)
                .local_apic(0, 0, 1).local_apic(1, 1, 1)
                .io_apic(8, 0xFEC00000, 0).io_apic(9, 0xFEC01000, 24)
                .override_(0, 0, 2, 0).override_(0, 9, 9, 0xF)
                .nmi_source(0xD, 30)
                .lapic_nmi(0xFF, 0x5, 1).lapic_nmi(1, 0, 0).x2apic_nmi(0xFFFFFFFF, 0xD, 1).x2apic_nmi(0xFF, 0, 1)
                .address_override(0xAFEE00000)
                .wakeup(1, 0x5000)
                .finish();
  Built b = build(t, 1);
  ASSERT_TRUE(b.ok);
  EXPECT_FALSE(b.topo.pcat_compat);
  EXPECT_EQ(b.topo.lapic_address, 0xAFEE00000u);
  EXPECT_TRUE(b.topo.lapic_address_overridden);
  ASSERT_EQ(b.topo.ioapics.size, 2u);
  EXPECT_EQ(b.topo.ioapics[1].id, 9);
  EXPECT_EQ(b.topo.ioapics[1].gsi_base, 24u);
  ASSERT_EQ(b.topo.overrides.size, 2u);
  EXPECT_EQ(b.topo.overrides[1].polarity, acpi::Polarity::kActiveLow);
  EXPECT_EQ(b.topo.overrides[1].trigger, acpi::Trigger::kLevel);
  EXPECT_EQ(b.topo.overrides[0].polarity, acpi::Polarity::kConforms);
  ASSERT_EQ(b.topo.nmi_sources.size, 1u);
  EXPECT_EQ(b.topo.nmi_sources[0].gsi, 30u);
  ASSERT_EQ(b.topo.lapic_nmis.size, 4u);
  EXPECT_TRUE(b.topo.lapic_nmis[0].all_cpus);
  EXPECT_FALSE(b.topo.lapic_nmis[1].all_cpus);
  EXPECT_EQ(b.topo.lapic_nmis[1].lint, 0);
  EXPECT_TRUE(b.topo.lapic_nmis[2].all_cpus);
  EXPECT_TRUE(b.topo.lapic_nmis[2].x2apic);
  // 0xFF is "all" only in the 8-bit UID space; in an x2APIC NMI it is processor UID 255.
  EXPECT_FALSE(b.topo.lapic_nmis[3].all_cpus);
  // CPU 0 is the boot CPU (APIC ID 1, uid 1): the uid-1 NMI applies to it, not to CPU 1.
  EXPECT_TRUE(acpi::nmi_applies_to(b.topo.lapic_nmis[1], b.topo.cpus[0]));
  EXPECT_FALSE(acpi::nmi_applies_to(b.topo.lapic_nmis[1], b.topo.cpus[1]));
  EXPECT_TRUE(acpi::nmi_applies_to(b.topo.lapic_nmis[0], b.topo.cpus[1]));
  EXPECT_TRUE(b.topo.has_wakeup_mailbox);
  EXPECT_EQ(b.topo.wakeup_mailbox_version, 1);
  EXPECT_EQ(b.topo.wakeup_mailbox_address, 0x5000u);
  EXPECT_EQ(b.topo.wakeup_reset_vector, 0u);
}

TEST(AcpiTopology, StorageSmallerThanMeasuredIsAnError) {
  Bytes t = MadtBuilder().local_apic(0, 0, 1).local_apic(1, 1, 1).finish();
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  acpi::Cpu cpus[2];
  acpi::SkippedCpu skipped[2];
  acpi::Topology topo;
  topo.cpus = {cpus, 2, 0};  // needs 3: entries + 1
  topo.skipped = {skipped, 2, 0};
  auto r = acpi::build_topology(madt.value(), acpi::ApicId{0}, topo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, acpi::Reason::kStorageTooSmall);
}

TEST(AcpiTopology, MalformedEntryStopsTheBuildWithItsOffset) {
  Bytes t = MadtBuilder().local_apic(0, 0, 1).entry(9, 8, Bytes(6, 0)).finish();
  Built b = build(t, 0);
  EXPECT_FALSE(b.ok);
  EXPECT_EQ(b.error.reason, acpi::Reason::kEntryTooShort);
  EXPECT_EQ(b.error.offset, 52u);
}

TEST(AcpiTopology, FirstUsableApicId) {
  Bytes t = MadtBuilder().local_apic(0, 0xFF, 1).local_apic(1, 3, 0).x2apic(0x300, 1, 2).finish();
  auto madt = acpi::Madt::parse(t.data(), t.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  acpi::ApicId id{};
  auto found = acpi::first_usable_apic_id(madt.value(), id);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found.value());
  EXPECT_EQ(acpi::to_raw(id), 0x300u);
}

}  // namespace
}  // namespace acpi_test
