#include "kernel/firmware/acpi_report.h"

#include <new>

#include "acpi/bytes.h"
#include "acpi/dump.h"
#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/root_tables.h"
#include "acpi/slit.h"
#include "acpi/srat.h"
#include "acpi/topology.h"
#include "kernel/firmware/boot_apic_id.h"
#include "kernel/firmware/firmware_memory.h"
#include "kernel/console/log.h"
#include "kernel/mm/mm.h"

namespace kfirmware {
namespace {

MachineTables g_tables;

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
  // Online-capable CPUs (MADT revision >= 5, Enabled = 0) may be hot-added later: counted as
  // possible, not started (the kernel has no CPU hot-add yet).
  klog::info("acpi: {} usable CPUs, {} skipped entries; boot CPU APIC ID {}{}", t.cpus.size,
             t.skipped.size, t.cpus[0].apic_id,
             t.boot_status == acpi::BootCpuStatus::kListed ? ""
             : t.boot_status == acpi::BootCpuStatus::kNotListed ? " (not in the MADT)"
                                                                 : " (its MADT entry says not usable)");
  if (t.hotpluggable != 0) {
    klog::info("acpi: {} online-capable CPUs (hot-pluggable, not started)", t.hotpluggable);
  }
  // Thousands of CPUs would flood the console: past 64, per-CPU lines go to the debug level.
  const klog::Level level = t.cpus.size <= 64 ? klog::Level::kInfo : klog::Level::kDebug;
  for (std::uint32_t i = 0; i < t.cpus.size; ++i) {
    const acpi::Cpu& c = t.cpus[i];
    klog::line(level, "acpi:   cpu {} apic {} uid {} {}{}", i, c.apic_id, c.uid,
               c.x2apic ? "x2apic" : "xapic", c.enabled ? "" : " (entry not enabled)");
  }
  for (std::uint32_t i = 0; i < t.skipped.size; ++i) {
    const acpi::SkippedCpu& s = t.skipped[i];
    klog::line(klog::Level::kDebug, "acpi:   skipped apic {} uid {} at offset {:#x}: {}",
               s.apic_id, s.uid, s.madt_offset, acpi::skip_reason_name(s.reason));
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

void read_topology(const acpi::RootTables& root, LogWarnings& warnings) {
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
  auto release = [&t] {
    delete[] t.cpus.data;
    delete[] t.skipped.data;
    delete[] t.ioapics.data;
    delete[] t.overrides.data;
    delete[] t.nmi_sources.data;
    delete[] t.lapic_nmis.data;
  };
  if (!t.cpus.data || !t.skipped.data || !t.ioapics.data || !t.overrides.data ||
      !t.nmi_sources.data || !t.lapic_nmis.data) {
    klog::error("acpi: no memory for the topology of {} processor entries",
                sizes.value().processor_entries);
    return release();
  }
  auto built = acpi::build_topology(madt.value(), boot_apic_id(), t);
  if (!built.ok()) {
    log_error(klog::Level::kError, "MADT", built.error());
    return release();
  }
  print_cpus(t);
  print_interrupts(t);
  g_tables.topology = t;  // the storage is kept from here on
  g_tables.madt_ok = true;
}

// An optional table: absent is normal and silent; present but unreadable or malformed is an error.
bool find_optional(const acpi::RootTables& root, const char* signature, LogWarnings& warnings,
                   acpi::Table& out) {
  auto table = root.find(signature, 0, &warnings);
  if (table.ok()) {
    out = table.value();
    return true;
  }
  if (table.error().reason != acpi::Reason::kNotFound) {
    log_error(klog::Level::kError, signature, table.error());
  }
  return false;
}

void read_timers(const acpi::RootTables& root, LogWarnings& warnings) {
  acpi::Table table;
  if (find_optional(root, "HPET", warnings, table)) {
    auto hpet = acpi::parse_hpet(table);
    if (!hpet.ok()) {
      log_error(klog::Level::kError, "HPET", hpet.error());
    } else if (hpet.value().base.space_id !=
                   static_cast<std::uint8_t>(acpi::AddressSpace::kSystemMemory) ||
               hpet.value().base.address == 0) {
      klog::warn("acpi: hpet base {:#x} in {} space; HPET not used", hpet.value().base.address,
                 acpi::address_space_name(hpet.value().base.space_id));
    } else {
      klog::info("acpi: hpet at {:#x}, {} comparators, min tick {}", hpet.value().base.address,
                 hpet.value().comparators, hpet.value().minimum_tick);
      g_tables.hpet_present = true;
      g_tables.hpet_base = hpet.value().base.address;
    }
  }
  if (find_optional(root, "FACP", warnings, table)) {
    auto fadt = acpi::parse_fadt(table);
    if (!fadt.ok()) return log_error(klog::Level::kError, "FADT", fadt.error());
    const acpi::Fadt& f = fadt.value();
    klog::info("acpi: fadt rev {}: pm timer {}{:#x} ({} bit), reset {}, 8042 {}, cmos rtc {}",
               f.revision, f.pm_timer_present ? "" : "none ", f.pm_timer.address,
               f.pm_timer_32bit ? 32 : 24, f.reset_supported ? "yes" : "no",
               f.boot_flags_valid ? (f.has_8042() ? "yes" : "no") : "unknown",
               f.boot_flags_valid ? (f.no_cmos_rtc() ? "no" : "yes") : "unknown");
    g_tables.boot_flags_known = f.boot_flags_valid;
    g_tables.has_8042 = f.has_8042();
    if (!f.pm_timer_present || f.hardware_reduced()) return;
    if (f.pm_timer.space_id != static_cast<std::uint8_t>(acpi::AddressSpace::kSystemIo) ||
        f.pm_timer.address == 0 || f.pm_timer.address > 0xFFFF) {
      klog::warn("acpi: pm timer at {:#x} in {} space; only I/O ports are supported",
                 f.pm_timer.address, acpi::address_space_name(f.pm_timer.space_id));
      return;
    }
    g_tables.pm_timer_present = true;
    g_tables.pm_timer_port = static_cast<std::uint16_t>(f.pm_timer.address);
    g_tables.pm_timer_32bit = f.pm_timer_32bit;
  }
}

// The logical CPU number of `apic_id` in the topology, or -1 when it is not a usable CPU.
long logical_cpu_of(const acpi::Topology& t, acpi::ApicId apic_id) {
  for (std::uint32_t i = 0; i < t.cpus.size; ++i) {
    if (t.cpus[i].apic_id == apic_id) return i;
  }
  return -1;
}

// One line per proximity domain: its usable CPUs (logical numbers) and its enabled memory
// ranges. Domains are collected in a heap array sized by the entry count: no fixed cap.
void print_numa(const acpi::Srat& srat) {
  std::uint32_t entries = 0;
  for (auto c = srat.entries();;) {
    acpi::SratEntry e;
    auto more = c.next(e);
    if (!more.ok()) return log_error(klog::Level::kError, "SRAT", more.error());
    if (!more.value()) break;
    ++entries;
  }
  auto* domains = new (std::nothrow) std::uint32_t[entries + 1];
  if (domains == nullptr) return klog::error("acpi: no memory for {} SRAT entries", entries);
  std::uint32_t domain_count = 0;
  for (auto c = srat.entries();;) {
    acpi::SratEntry e;
    if (!c.next(e).value_or(false)) break;
    if (!e.enabled()) continue;
    const std::uint32_t d = e.is(acpi::SratType::kMemory) ? e.memory.domain : e.processor.domain;
    bool seen = false;
    for (std::uint32_t i = 0; i < domain_count && !seen; ++i) seen = domains[i] == d;
    if (!seen) domains[domain_count++] = d;
  }
  klog::info("acpi: srat: {} NUMA node(s)", domain_count);
  const acpi::Topology& t = g_tables.topology;
  for (std::uint32_t i = 0; i < domain_count; ++i) {
    char text[200];
    fmt::FixedBuffer line(text, sizeof(text));
    fmt::format_to(line, "acpi:   node {}: cpus", domains[i]);
    std::uint64_t bytes = 0;
    for (auto c = srat.entries();;) {
      acpi::SratEntry e;
      if (!c.next(e).value_or(false)) break;
      if (!e.enabled()) continue;
      if (e.is(acpi::SratType::kMemory)) {
        if (e.memory.domain == domains[i]) bytes += e.memory.length;
      } else if (e.processor.domain == domains[i]) {
        const long cpu = logical_cpu_of(t, e.processor.apic_id);
        if (cpu >= 0) fmt::format_to(line, " {}", cpu);
        else fmt::format_to(line, " (apic {} not usable)", e.processor.apic_id);
      }
    }
    fmt::format_to(line, "; memory {} MiB", bytes >> 20);
    klog::info("{}{}", fmt::StringView(line.c_str(), line.size()), line.truncated() ? "..." : "");
    for (auto c = srat.entries();;) {
      acpi::SratEntry e;
      if (!c.next(e).value_or(false)) break;
      if (e.enabled() && e.is(acpi::SratType::kMemory) && e.memory.domain == domains[i]) {
        klog::info("acpi:     memory {:#x}..{:#x}{}", e.memory.base,
                   e.memory.base + e.memory.length,
                   (e.memory.flags & acpi::kSratMemHotPluggable) ? " hot-pluggable" : "");
      }
    }
  }
  delete[] domains;
}

// The SLIT's distances, one line per locality (at most 16 printed per line), or why it is not
// used: Linux ignores a matrix that is not 10 on the diagonal and above 10 elsewhere.
void print_distances(const acpi::Slit& slit) {
  acpi::Error bad;
  if (!slit.usable(&bad)) return log_error(klog::Level::kWarn, "SLIT ignored", bad);
  const std::uint64_t n = slit.localities();
  klog::info("acpi: slit: {} localities", n);
  for (std::uint64_t i = 0; i < n && i < 64; ++i) {
    char text[120];
    fmt::FixedBuffer line(text, sizeof(text));
    fmt::format_to(line, "acpi:   distances from {}:", i);
    for (std::uint64_t j = 0; j < n && j < 16; ++j) fmt::format_to(line, " {}", slit.distance(i, j));
    klog::info("{}{}", fmt::StringView(line.c_str(), line.size()), n > 16 ? " ..." : "");
  }
}

// Keeps the NUMA layout in g_tables (heap storage; the SLIT's bytes copied, the firmware's
// memory is not ours to keep pointing into) and prints each node's nearest-first order.
void keep_numa(const acpi::Srat& srat, const acpi::Slit* slit) {
  auto sizes = acpi::measure_numa(srat);
  if (!sizes.ok()) return log_error(klog::Level::kError, "SRAT", sizes.error());
  acpi::Numa& numa = g_tables.numa;
  const std::uint32_t nodes = sizes.value().nodes();
  numa.processors = {new (std::nothrow) acpi::NumaProcessor[sizes.value().processors + 1],
                     sizes.value().processors, 0};
  numa.ranges = {new (std::nothrow) acpi::NumaRange[sizes.value().ranges + 1], sizes.value().ranges, 0};
  numa.nodes = {new (std::nothrow) std::uint32_t[nodes + 1], nodes, 0};
  auto* order = new (std::nothrow) std::uint32_t[nodes + 1];
  acpi::Slit copy;
  const acpi::Slit* kept = nullptr;
  if (slit != nullptr && slit->usable(nullptr)) {
    auto* bytes = new (std::nothrow) std::uint8_t[slit->table().length];
    if (bytes != nullptr) {
      __builtin_memcpy(bytes, slit->table().bytes, slit->table().length);
      acpi::Table t = slit->table();
      t.bytes = bytes;
      if (auto c = acpi::Slit::from_table(t); c.ok()) {
        copy = c.value();
        kept = &copy;
      }
    }
  }
  if (numa.processors.data == nullptr || numa.ranges.data == nullptr || numa.nodes.data == nullptr ||
      order == nullptr) {
    return klog::error("acpi: no memory for the NUMA layout ({} nodes)", nodes);
  }
  if (auto built = acpi::build_numa(srat, kept, numa); !built.ok()) {
    return log_error(klog::Level::kError, "SRAT", built.error());
  }
  g_tables.numa_ok = true;
  for (std::uint32_t i = 0; i < numa.nodes.size; ++i) {
    char text[160];
    fmt::FixedBuffer line(text, sizeof(text));
    fmt::format_to(line, "acpi:   node {} nearest first:", numa.nodes[i]);
    const std::uint32_t n = numa.nearest_first(numa.nodes[i], order, nodes);
    for (std::uint32_t k = 0; k < n; ++k) fmt::format_to(line, " {}", order[k]);
    klog::info("{}{}", fmt::StringView(line.c_str(), line.size()), line.truncated() ? "..." : "");
  }
  delete[] order;
}

void read_numa(const acpi::RootTables& root, LogWarnings& warnings) {
  acpi::Table table;
  if (!find_optional(root, "SRAT", warnings, table)) return;  // no SRAT: one node
  auto srat = acpi::Srat::from_table(table);
  if (!srat.ok()) return log_error(klog::Level::kError, "SRAT", srat.error());
  print_numa(srat.value());
  acpi::Slit slit;
  bool have_slit = false;
  if (find_optional(root, "SLIT", warnings, table)) {  // no SLIT: local, then the rest
    if (auto s = acpi::Slit::from_table(table); s.ok()) {
      slit = s.value();
      have_slit = true;
      print_distances(slit);
    } else {
      log_error(klog::Level::kError, "SLIT", s.error());
    }
  }
  keep_numa(srat.value(), have_slit ? &slit : nullptr);
}

}  // namespace

void read_and_report(const boot::BootInfo& info, bool dump) {
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
  read_topology(root.value(), warnings);
  read_timers(root.value(), warnings);
  read_numa(root.value(), warnings);
}

const MachineTables& machine_tables() { return g_tables; }

}  // namespace kfirmware
