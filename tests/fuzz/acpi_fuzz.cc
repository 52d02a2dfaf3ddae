// libFuzzer target over the ACPI library's entry points. Each input is used two ways:
//  1. as one table, handed to every table parser (MADT + topology, SRAT, SLIT, HPET, FADT, MCFG) and to
//     the RSDP parser, which must only ever read the bytes given;
//  2. as physical memory starting at kImageBase, with an RSDP expected at its start, walked the
//     way the kernel walks firmware memory: RSDP -> XSDT/RSDT -> every table by index and by
//     signature, each parsed. Pointers in the input that land inside it are followed.
// AddressSanitizer catches any read outside the input; UBSan any overflow or bad shift.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "acpi/host/topology_storage.h"
#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/madt.h"
#include "acpi/numa.h"
#include "acpi/mcfg.h"
#include "acpi/root_tables.h"
#include "acpi/rsdp.h"
#include "acpi/slit.h"
#include "acpi/srat.h"
#include "acpi/topology.h"

namespace {

constexpr std::uint64_t kImageBase = 0x1000;

class InputMemory final : public acpi::PhysicalMemory {
 public:
  InputMemory(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  const std::uint8_t* map(std::uint64_t phys, std::uint64_t length) override {
    if (phys < kImageBase) return nullptr;
    std::uint64_t offset = phys - kImageBase;
    if (offset > size_ || length > size_ - offset) return nullptr;
    return data_ + offset;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

class Ignore final : public acpi::Diagnostics {
 public:
  void warning(const acpi::Error&) override {}
};
Ignore g_ignore;

void use_madt(const acpi::Madt& madt) {
  auto sizes = acpi::measure_topology(madt);
  if (!sizes.ok()) return;
  acpi::host::TopologyStorage storage(sizes.value());
  acpi::Topology& topo = storage.topology;
  acpi::ApicId boot{};
  auto first = acpi::first_usable_apic_id(madt, boot);
  if (!first.ok()) return;
  if (!acpi::build_topology(madt, boot, topo).ok()) __builtin_trap();  // measured == built
  // Invariants the kernel relies on.
  if (topo.cpus.size == 0 || !(topo.cpus[0].apic_id == boot)) __builtin_trap();
  if (topo.cpus.size + topo.skipped.size > sizes.value().processor_entries + 1) __builtin_trap();
  for (std::uint32_t i = 0; i < topo.cpus.size; ++i) {
    for (std::uint32_t j = i + 1; j < topo.cpus.size; ++j) {
      if (topo.cpus[i].apic_id == topo.cpus[j].apic_id) __builtin_trap();  // IDs unique
    }
  }
}

void use_table(const acpi::Table& t) {
  if (auto madt = acpi::Madt::from_table(t); madt.ok()) use_madt(madt.value());
  if (auto srat = acpi::Srat::from_table(t); srat.ok()) {
    auto cursor = srat.value().entries();
    acpi::SratEntry e;
    for (;;) {
      auto more = cursor.next(e);
      if (!more.ok() || !more.value()) break;
    }
    // The NUMA layout: storage of the measured sizes must be enough, and every node order must
    // name each node once, the starting one first.
    if (auto sizes = acpi::measure_numa(srat.value()); sizes.ok()) {
      std::vector<acpi::NumaProcessor> p(sizes.value().processors);
      std::vector<acpi::NumaRange> r(sizes.value().ranges);
      std::vector<std::uint32_t> n(sizes.value().nodes()), order(sizes.value().nodes());
      acpi::Numa numa;
      numa.processors = {p.data(), static_cast<std::uint32_t>(p.size()), 0};
      numa.ranges = {r.data(), static_cast<std::uint32_t>(r.size()), 0};
      numa.nodes = {n.data(), static_cast<std::uint32_t>(n.size()), 0};
      if (!acpi::build_numa(srat.value(), nullptr, numa).ok()) __builtin_trap();
      for (std::uint32_t i = 0; i < numa.nodes.size; ++i) {
        const std::uint32_t count = numa.nearest_first(numa.nodes[i], order.data(), numa.nodes.size);
        if (count != numa.nodes.size || order[0] != numa.nodes[i]) __builtin_trap();
      }
    }
  }
  if (auto slit = acpi::Slit::from_table(t); slit.ok()) {
    // Every distance is inside the table: the matrix fit was checked.
    acpi::Error bad;
    const bool usable = slit.value().usable(&bad);
    const std::uint64_t n = slit.value().localities();
    if (n > 0 && slit.value().distance(n - 1, n - 1) == 0 && usable) __builtin_trap();
  }
  (void)acpi::parse_hpet(t);
  (void)acpi::parse_fadt(t);
  if (auto mcfg = acpi::Mcfg::from_table(t, &g_ignore); mcfg.ok()) {
    for (std::uint32_t i = 0; i < mcfg.value().count(); ++i) (void)mcfg.value().range(i).size();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 1. The input as a single table of any kind.
  (void)acpi::parse_rsdp(data, size, &g_ignore);
  if (auto t = acpi::check_table(data, size, nullptr, &g_ignore); t.ok()) use_table(t.value());

  // 2. The input as firmware memory with the RSDP at its start.
  InputMemory memory(data, size);
  auto root = acpi::RootTables::open(memory, kImageBase, &g_ignore);
  if (!root.ok()) return 0;
  // Bounded: a root table of a few KiB has a few hundred entries at most.
  for (std::uint32_t i = 0; i < root.value().entry_count(); ++i) {
    if (auto t = root.value().table_at(i, &g_ignore); t.ok()) use_table(t.value());
  }
  for (const char* sig : {"APIC", "SRAT", "SLIT", "HPET", "FACP", "MCFG"}) {
    for (std::uint32_t instance = 0; instance < 2; ++instance) {
      if (auto t = root.value().find(sig, instance, &g_ignore); t.ok()) use_table(t.value());
    }
  }
  return 0;
}
