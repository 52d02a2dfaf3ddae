#include "kernel/acpi/acpi_report.h"

#include <new>

#include "acpi/bytes.h"
#include "acpi/dump.h"
#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/root_tables.h"
#include "acpi/topology.h"
#include "kernel/acpi/boot_apic_id.h"
#include "kernel/acpi/firmware_memory.h"
#include "kernel/console/log.h"
#include "kernel/mm/mm.h"

namespace kacpi {
namespace {

// Prints an acpi::Error as one klog line.
void log_error(klog::Level level, const char* what, const acpi::Error& e) {
  char text[160];
  fmt::FixedBuffer buffer(text, sizeof(text));
  acpi::format_error(buffer, e);
  klog::line(level, "acpi: {}: {}", what, fmt::StringView(buffer.c_str(), buffer.size()));
}

class LogWarnings final : public acpi::Diagnostics {
 public:
  void warning(const acpi::Error& w) override { log_error(klog::Level::kWarn, "warning", w); }
};

class LogLines final : public acpi::LineSink {
 public:
  void line(const char* text, std::size_t length) override {
    klog::info("{}", fmt::StringView(text, length));
  }
};

// --- acpi=dump ---

void dump_sdt(acpi::PhysicalMemory& memory, std::uint64_t phys, LogLines& out) {
  const std::uint8_t* head = memory.map(phys, acpi::kSdtHeaderLength);
  if (head == nullptr) return;
  const std::uint32_t length = acpi::load_le32(head + 4);
  const std::uint8_t* all = length >= 8 ? memory.map(phys, length) : nullptr;
  if (all == nullptr) {
    klog::warn("acpi: dump: table at {:#x} declares {} bytes that are not readable", phys, length);
    return;
  }
  const char name[4] = {static_cast<char>(head[0]), static_cast<char>(head[1]),
                        static_cast<char>(head[2]), static_cast<char>(head[3])};
  acpi::dump_table(out, name, phys, all, length);
}

// Everything acpidump prints: the RSDP, the root tables, every table they list, and the DSDT and
// FACS that only the FADT points at.
void dump_all(acpi::PhysicalMemory& memory, std::uint64_t rsdp_phys, const acpi::RootTables& root,
              LogWarnings& warnings) {
  LogLines out;
  const acpi::Rsdp& rsdp = root.rsdp();
  const std::uint32_t rsdp_length = rsdp.revision >= 2 ? rsdp.length : acpi::kRsdpV1Length;
  if (const std::uint8_t* p = memory.map(rsdp_phys, rsdp_length)) {
    acpi::dump_table(out, "RSDP", rsdp_phys, p, rsdp_length);
  }
  if (rsdp.xsdt != 0) dump_sdt(memory, rsdp.xsdt, out);
  if (rsdp.rsdt != 0) dump_sdt(memory, rsdp.rsdt, out);
  for (std::uint32_t i = 0; i < root.entry_count(); ++i) {
    if (root.entry_address(i) != 0) dump_sdt(memory, root.entry_address(i), out);
  }
  auto facp = root.find("FACP", 0, &warnings);
  if (!facp.ok()) return;
  auto fadt = acpi::parse_fadt(facp.value());
  if (!fadt.ok()) return;
  if (fadt.value().dsdt != 0) dump_sdt(memory, fadt.value().dsdt, out);
  if (fadt.value().facs != 0) dump_sdt(memory, fadt.value().facs, out);  // FACS: length at 4 too
}

// --- topology ---

void print_cpus(const acpi::Topology& t) {
  klog::info("acpi: {} usable CPUs, {} skipped entries; boot CPU APIC ID {}{}", t.cpus.size,
             t.skipped.size, t.cpus[0].apic_id.value,
             t.boot_status == acpi::BootCpuStatus::kListed ? ""
             : t.boot_status == acpi::BootCpuStatus::kNotListed ? " (not in the MADT)"
                                                                 : " (its MADT entry says not usable)");
  // Thousands of CPUs would flood the console: past 64, per-CPU lines go to the debug level.
  const klog::Level level = t.cpus.size <= 64 ? klog::Level::kInfo : klog::Level::kDebug;
  for (std::uint32_t i = 0; i < t.cpus.size; ++i) {
    const acpi::Cpu& c = t.cpus[i];
    klog::line(level, "acpi:   cpu {} apic {} uid {} {}{}", i, c.apic_id.value, c.uid,
               c.x2apic ? "x2apic" : "xapic", c.enabled ? "" : " online-capable");
  }
  for (std::uint32_t i = 0; i < t.skipped.size; ++i) {
    const acpi::SkippedCpu& s = t.skipped[i];
    klog::line(klog::Level::kDebug, "acpi:   skipped apic {} uid {} at offset {:#x}: {}",
               s.apic_id.value, s.uid, s.madt_offset, acpi::skip_reason_name(s.reason));
  }
}

void print_interrupts(const acpi::Topology& t) {
  klog::info("acpi: local APIC at {:#x}{}, {}", t.lapic_address,
             t.lapic_address_overridden ? " (override)" : "",
             t.pcat_compat ? "8259 PICs present" : "no 8259 PICs");
  for (std::uint32_t i = 0; i < t.ioapics.size; ++i) {
    const acpi::IoApicInfo& io = t.ioapics[i];
    klog::info("acpi:   ioapic id {} at {:#x} gsi base {}", io.id, io.address, io.gsi_base);
  }
  for (std::uint32_t i = 0; i < t.overrides.size; ++i) {
    const acpi::InterruptOverride& o = t.overrides[i];
    klog::info("acpi:   irq {} -> gsi {} {} {}", o.source_irq, o.gsi, acpi::polarity_name(o.polarity),
               acpi::trigger_name(o.trigger));
  }
  for (std::uint32_t i = 0; i < t.lapic_nmis.size; ++i) {
    const acpi::LapicNmiInfo& n = t.lapic_nmis[i];
    if (n.all_cpus) klog::info("acpi:   nmi all CPUs LINT{} {} {}", n.lint, acpi::polarity_name(n.polarity), acpi::trigger_name(n.trigger));
    else klog::info("acpi:   nmi uid {} LINT{} {} {}", n.uid, n.lint, acpi::polarity_name(n.polarity), acpi::trigger_name(n.trigger));
  }
}

template <typename T>
acpi::Slots<T> slots(std::uint32_t n) {
  // n + 1 so that a zero count still gives a valid pointer; nothrow: a failed allocation is
  // reported, not fatal.
  return acpi::Slots<T>{new (std::nothrow) T[n + 1], n, 0};
}

void report_topology(const acpi::RootTables& root, LogWarnings& warnings) {
  auto table = root.find("APIC", 0, &warnings);
  if (!table.ok()) return log_error(klog::Level::kError, "MADT", table.error());
  auto madt = acpi::Madt::from_table(table.value());
  if (!madt.ok()) return log_error(klog::Level::kError, "MADT", madt.error());
  auto sizes = acpi::measure_topology(madt.value());
  if (!sizes.ok()) return log_error(klog::Level::kError, "MADT", sizes.error());
  acpi::Topology t;
  t.cpus = slots<acpi::Cpu>(sizes.value().cpu_slots());
  t.skipped = slots<acpi::SkippedCpu>(sizes.value().processor_entries);
  t.ioapics = slots<acpi::IoApicInfo>(sizes.value().ioapics);
  t.overrides = slots<acpi::InterruptOverride>(sizes.value().overrides);
  t.nmi_sources = slots<acpi::NmiSourceInfo>(sizes.value().nmi_sources);
  t.lapic_nmis = slots<acpi::LapicNmiInfo>(sizes.value().lapic_nmis);
  if (t.cpus.data && t.skipped.data && t.ioapics.data && t.overrides.data && t.nmi_sources.data &&
      t.lapic_nmis.data) {
    auto built = acpi::build_topology(madt.value(), boot_apic_id(), t);
    if (built.ok()) {
      print_cpus(t);
      print_interrupts(t);
    } else {
      log_error(klog::Level::kError, "MADT", built.error());
    }
  } else {
    klog::error("acpi: no memory for the topology of {} processor entries", sizes.value().processor_entries);
  }
  delete[] t.cpus.data;
  delete[] t.skipped.data;
  delete[] t.ioapics.data;
  delete[] t.overrides.data;
  delete[] t.nmi_sources.data;
  delete[] t.lapic_nmis.data;
}

void report_timers(const acpi::RootTables& root, LogWarnings& warnings) {
  if (auto table = root.find("HPET", 0, &warnings); table.ok()) {
    auto hpet = acpi::parse_hpet(table.value());
    if (hpet.ok()) {
      klog::info("acpi: hpet at {:#x}, {} comparators, min tick {}", hpet.value().base.address,
                 hpet.value().comparators, hpet.value().minimum_tick);
    } else {
      log_error(klog::Level::kError, "HPET", hpet.error());
    }
  }
  if (auto table = root.find("FACP", 0, &warnings); table.ok()) {
    auto fadt = acpi::parse_fadt(table.value());
    if (!fadt.ok()) return log_error(klog::Level::kError, "FADT", fadt.error());
    const acpi::Fadt& f = fadt.value();
    klog::info("acpi: fadt rev {}: pm timer {}{:#x} ({} bit), reset {}, 8042 {}, cmos rtc {}",
               f.revision, f.pm_timer_present ? "" : "none ", f.pm_timer.address,
               f.pm_timer_32bit ? 32 : 24, f.reset_supported ? "yes" : "no",
               f.boot_flags_valid ? (f.has_8042() ? "yes" : "no") : "unknown",
               f.boot_flags_valid ? (f.no_cmos_rtc() ? "no" : "yes") : "unknown");
  }
}

}  // namespace

void acpi_report(const boot::BootInfo& info, bool dump) {
  if (info.rsdp == 0) {
    klog::warn("acpi: the loader found no RSDP; no ACPI tables");
    return;
  }
  FirmwareMemory memory(mm::phys_to<const boot::MemoryRange>(info.memory_map), info.memory_map_count);
  LogWarnings warnings;
  auto root = acpi::RootTables::open(memory, info.rsdp, &warnings);
  if (!root.ok()) return log_error(klog::Level::kError, "root tables", root.error());
  klog::info("acpi: {} with {} entries", root.value().uses_xsdt() ? "XSDT" : "RSDT",
             root.value().entry_count());
  if (dump) dump_all(memory, info.rsdp, root.value(), warnings);
  report_topology(root.value(), warnings);
  report_timers(root.value(), warnings);
}

}  // namespace kacpi
