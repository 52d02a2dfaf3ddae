// The NUMA layout from an SRAT and a SLIT (acpi/numa.h): nodes of CPUs and addresses, distances
// with and without a usable SLIT, nearest-first orders, and the storage checks.
#include <gtest/gtest.h>

#include <vector>

#include "acpi/numa.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

// Three nodes: CPUs 0, 1 (APIC 0, 1) on node 0, CPU APIC 2 on node 1, x2APIC 0x100 on node 2;
// memory 0..1 GiB on node 0, 1..2 GiB on node 1, 2..3 GiB on node 2; one disabled CPU entry.
Bytes make_srat() {
  TableBuilder t("SRAT", 3);
  t.u32(1).u64(0);
  const auto lapic = [&](std::uint8_t apic, std::uint8_t domain, std::uint32_t flags) {
    t.u8(0).u8(16).u8(domain).u8(apic).u32(flags).u8(0).u8(0).u8(0).u8(0).u32(0);
  };
  const auto memory = [&](std::uint32_t domain, std::uint64_t base, std::uint64_t length) {
    t.u8(1).u8(40).u32(domain).u16(0).u64(base).u64(length).u32(0).u32(1).u64(0);
  };
  lapic(0, 0, 1);
  lapic(1, 0, 1);
  lapic(2, 1, 1);
  lapic(3, 5, 0);  // disabled: node 5 does not exist
  t.u8(2).u8(24).u16(0).u32(2).u32(0x100).u32(1).u32(0).u32(0);
  memory(0, 0, 1ull << 30);
  memory(1, 1ull << 30, 1ull << 30);
  memory(2, 2ull << 30, 1ull << 30);
  return t.finish();
}

Bytes make_slit(std::uint64_t count, const std::vector<std::uint8_t>& matrix) {
  TableBuilder t("SLIT", 1);
  t.u64(count);
  for (std::uint8_t d : matrix) t.u8(d);
  return t.finish();
}

struct Built {
  std::vector<acpi::NumaProcessor> processors;
  std::vector<acpi::NumaRange> ranges;
  std::vector<std::uint32_t> nodes;
  acpi::Numa numa;
};

void build(const Bytes& srat_bytes, const Bytes* slit_bytes, Built& b) {
  auto srat = acpi::Srat::parse(srat_bytes.data(), srat_bytes.size(), nullptr);
  ASSERT_TRUE(srat.ok());
  auto sizes = acpi::measure_numa(srat.value());
  ASSERT_TRUE(sizes.ok());
  b.processors.resize(sizes.value().processors);
  b.ranges.resize(sizes.value().ranges);
  b.nodes.resize(sizes.value().nodes());
  b.numa.processors = {b.processors.data(), static_cast<std::uint32_t>(b.processors.size()), 0};
  b.numa.ranges = {b.ranges.data(), static_cast<std::uint32_t>(b.ranges.size()), 0};
  b.numa.nodes = {b.nodes.data(), static_cast<std::uint32_t>(b.nodes.size()), 0};
  if (slit_bytes == nullptr) {
    ASSERT_TRUE(acpi::build_numa(srat.value(), nullptr, b.numa).ok());
    return;
  }
  auto slit = acpi::Slit::parse(slit_bytes->data(), slit_bytes->size(), nullptr);
  ASSERT_TRUE(slit.ok());
  ASSERT_TRUE(acpi::build_numa(srat.value(), &slit.value(), b.numa).ok());
}

TEST(AcpiNuma, NodesOfCpusAndAddresses) {
  Built b;
  build(make_srat(), nullptr, b);
  EXPECT_EQ(b.numa.nodes.size, 3u);
  EXPECT_EQ(b.numa.processors.size, 4u);  // the disabled entry is left out
  EXPECT_EQ(b.numa.node_of(acpi::ApicId{1}), 0u);
  EXPECT_EQ(b.numa.node_of(acpi::ApicId{2}), 1u);
  EXPECT_EQ(b.numa.node_of(acpi::ApicId{0x100}), 2u);
  EXPECT_EQ(b.numa.node_of(acpi::ApicId{3}), acpi::kNoNode);
  EXPECT_EQ(b.numa.node_of_address(0x1000), 0u);
  EXPECT_EQ(b.numa.node_of_address((1ull << 30) + 5), 1u);
  EXPECT_EQ(b.numa.node_of_address((3ull << 30) - 1), 2u);
  EXPECT_EQ(b.numa.node_of_address(3ull << 30), acpi::kNoNode);
}

TEST(AcpiNuma, DistancesFromAUsableSlitOrTheDefaults) {
  Bytes slit = make_slit(3, {10, 30, 20, 30, 10, 25, 20, 25, 10});
  Built b;
  build(make_srat(), &slit, b);
  ASSERT_TRUE(b.numa.has_slit);
  EXPECT_EQ(b.numa.distance(0, 1), 30);
  EXPECT_EQ(b.numa.distance(2, 1), 25);
  std::uint32_t order[3];
  ASSERT_EQ(b.numa.nearest_first(0, order, 3), 3u);
  EXPECT_EQ(order[0], 0u);
  EXPECT_EQ(order[1], 2u);  // 20 before 30
  EXPECT_EQ(order[2], 1u);
  ASSERT_EQ(b.numa.nearest_first(1, order, 3), 3u);
  EXPECT_EQ(order[0], 1u);
  EXPECT_EQ(order[1], 2u);

  Bytes bad = make_slit(3, {10, 30, 20, 30, 11, 25, 20, 25, 10});  // 11 on the diagonal
  Built d;
  build(make_srat(), &bad, d);
  EXPECT_FALSE(d.numa.has_slit);
  EXPECT_EQ(d.numa.distance(0, 0), 10);
  EXPECT_EQ(d.numa.distance(0, 1), acpi::kRemoteDistance);
  ASSERT_EQ(d.numa.nearest_first(2, order, 3), 3u);
  EXPECT_EQ(order[0], 2u);
  EXPECT_EQ(order[1], 0u);  // equal distances: the order of `nodes`
  EXPECT_EQ(order[2], 1u);

  Bytes small = make_slit(2, {10, 20, 20, 10});  // covers nodes 0 and 1, not 2
  Built s;
  build(make_srat(), &small, s);
  ASSERT_TRUE(s.numa.has_slit);
  EXPECT_EQ(s.numa.distance(0, 2), acpi::kRemoteDistance);
  EXPECT_EQ(s.numa.distance(2, 2), 10);
}

TEST(AcpiNuma, StorageTooSmallIsAnError) {
  Bytes srat_bytes = make_srat();
  auto srat = acpi::Srat::parse(srat_bytes.data(), srat_bytes.size(), nullptr);
  ASSERT_TRUE(srat.ok());
  std::vector<acpi::NumaProcessor> p(1);
  std::vector<acpi::NumaRange> r(8);
  std::vector<std::uint32_t> n(8);
  acpi::Numa numa;
  numa.processors = {p.data(), 1, 0};
  numa.ranges = {r.data(), 8, 0};
  numa.nodes = {n.data(), 8, 0};
  auto built = acpi::build_numa(srat.value(), nullptr, numa);
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.error().reason, acpi::Reason::kStorageTooSmall);
}

}  // namespace
}  // namespace acpi_test
