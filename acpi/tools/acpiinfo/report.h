// What acpiinfo found: every decoded table, plus errors and warnings naming file, table and
// offset. Built by build_report(), printed as text or JSON (README.md documents the JSON).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/mcfg.h"
#include "acpi/srat.h"
#include "acpi/topology.h"
#include "acpi/tools/acpiinfo/inputs.h"

namespace acpiinfo {

struct Options {
  bool json = false;
  std::optional<acpi::ApicId> boot_apic_id;  // --boot-apic-id; default: first usable entry
};

struct TopologyReport {
  std::uint8_t madt_revision = 0;
  std::uint64_t lapic_address = 0;
  bool lapic_address_overridden = false;
  bool pcat_compat = false;
  acpi::ApicId boot_apic_id{};
  bool boot_apic_id_given = false;  // false: defaulted to the first usable entry
  acpi::BootCpuStatus boot_status = acpi::BootCpuStatus::kListed;
  std::vector<acpi::Cpu> cpus;  // logical order
  std::vector<acpi::SkippedCpu> skipped;
  std::uint32_t hotpluggable = 0;  // online-capable CPUs, not started at boot
  std::vector<acpi::IoApicInfo> ioapics;
  std::vector<acpi::InterruptOverride> overrides;
  std::vector<acpi::NmiSourceInfo> nmi_sources;
  std::vector<acpi::LapicNmiInfo> lapic_nmis;
  bool has_wakeup = false;
  std::uint16_t wakeup_version = 0;
  std::uint64_t wakeup_mailbox = 0;
  std::uint64_t wakeup_reset_vector = 0;
};

struct Report {
  std::string source;  // how tables were found: "RSDP at 0x... (XSDT)" or "by signature"
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  std::vector<std::string> notes;
  std::optional<TopologyReport> topology;
  std::vector<acpi::SratEntry> srat;  // empty when there is no SRAT
  bool has_srat = false;
  std::optional<acpi::Hpet> hpet;
  std::optional<acpi::Fadt> fadt;
  std::vector<acpi::EcamRange> mcfg;
  bool has_mcfg = false;
};

Report build_report(const Inputs& inputs, const Options& options);

void print_text(const Report& report, std::string& out);
void print_json(const Report& report, std::string& out);

}  // namespace acpiinfo
