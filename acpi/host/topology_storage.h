// Host-only: std::vector storage for an acpi::Topology, sized from measure_topology(). The
// kernel sizes the same slots from its heap (kernel/firmware/acpi_report.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "acpi/topology.h"

namespace acpi::host {

class TopologyStorage {
 public:
  explicit TopologyStorage(const TopologySizes& sizes)
      : cpus_(sizes.cpu_slots()),
        skipped_(sizes.processor_entries),
        ioapics_(sizes.ioapics),
        overrides_(sizes.overrides),
        nmi_sources_(sizes.nmi_sources),
        lapic_nmis_(sizes.lapic_nmis) {
    topology.cpus = slots(cpus_);
    topology.skipped = slots(skipped_);
    topology.ioapics = slots(ioapics_);
    topology.overrides = slots(overrides_);
    topology.nmi_sources = slots(nmi_sources_);
    topology.lapic_nmis = slots(lapic_nmis_);
  }
  TopologyStorage(const TopologyStorage&) = delete;
  TopologyStorage& operator=(const TopologyStorage&) = delete;

  Topology topology;  // its Slots point into the vectors below

 private:
  template <typename T>
  static Slots<T> slots(std::vector<T>& v) {
    return Slots<T>{v.data(), static_cast<std::uint32_t>(v.size()), 0};
  }

  std::vector<Cpu> cpus_;
  std::vector<SkippedCpu> skipped_;
  std::vector<IoApicInfo> ioapics_;
  std::vector<InterruptOverride> overrides_;
  std::vector<NmiSourceInfo> nmi_sources_;
  std::vector<LapicNmiInfo> lapic_nmis_;
};

}  // namespace acpi::host
