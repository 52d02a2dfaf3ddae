// acpiinfo's human-readable output.
#include <cstdio>
#include <map>
#include <set>

#include "acpi/gas.h"
#include "acpi/tools/acpiinfo/report.h"

namespace acpiinfo {
namespace {

template <typename... Args>
void add(std::string& out, const char* format, Args... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer), format, args...);
  out += buffer;
}

const char* boot_status_text(acpi::BootCpuStatus s) {
  switch (s) {
    case acpi::BootCpuStatus::kListed: return "";
    case acpi::BootCpuStatus::kListedUnusable: return " (its entry says not usable)";
    case acpi::BootCpuStatus::kNotListed: return " (not in the MADT)";
  }
  return "";
}

void print_topology(const TopologyReport& t, std::string& out) {
  add(out, "MADT revision %u, local APIC at 0x%llx%s, %s\n", t.madt_revision,
      static_cast<unsigned long long>(t.lapic_address),
      t.lapic_address_overridden ? " (address override)" : "",
      t.pcat_compat ? "PC-AT compatible: dual 8259 PICs present (mask them)" : "no 8259 PICs");
  add(out, "Boot CPU: APIC ID %u%s%s\n", acpi::to_raw(t.boot_apic_id),
      t.boot_apic_id_given ? "" : " (assumed: first usable entry)", boot_status_text(t.boot_status));
  add(out, "\nCPUs: %zu usable, %u online-capable (hot-pluggable, not started), %zu skipped\n",
      t.cpus.size(), t.hotpluggable, t.skipped.size());
  add(out, "  %-5s %-10s %-10s %-6s %s\n", "cpu", "apic_id", "uid", "kind", "state");
  for (std::size_t i = 0; i < t.cpus.size(); ++i) {
    const acpi::Cpu& c = t.cpus[i];
    // Only the boot CPU can be here without Enabled: it runs whatever its entry says.
    const char* state = c.enabled ? "enabled" : "running, entry not enabled";
    if (!c.listed) state = "running, not listed";
    char uid[16];
    if (c.listed) std::snprintf(uid, sizeof(uid), "%u", c.uid);
    else std::snprintf(uid, sizeof(uid), "-");
    add(out, "  %-5zu %-10u %-10s %-6s %s\n", i, acpi::to_raw(c.apic_id), uid, c.x2apic ? "x2APIC" : "xAPIC", state);
  }
  for (const acpi::SkippedCpu& s : t.skipped) {
    add(out, "  skipped: apic_id %u uid %u (%s entry at offset %u, flags 0x%x): %s", acpi::to_raw(s.apic_id),
        s.uid, s.x2apic ? "x2APIC" : "xAPIC", s.madt_offset, s.flags, acpi::skip_reason_name(s.reason));
    if (s.reason == acpi::SkipReason::kDuplicateId) add(out, " of the entry at offset %u", s.duplicate_of);
    out += "\n";
  }
  add(out, "\nI/O APICs: %zu\n", t.ioapics.size());
  for (const acpi::IoApicInfo& io : t.ioapics) {
    add(out, "  id %u at 0x%08x, GSI base %u", io.id, io.address, io.gsi_base);
    out += ", GSI count unknown (needs the IOAPIC's version register)\n";
  }
  add(out, "\nInterrupt source overrides: %zu\n", t.overrides.size());
  for (const acpi::InterruptOverride& o : t.overrides) {
    add(out, "  %s IRQ %u -> GSI %u, polarity %s, trigger %s (flags 0x%x)\n",
        o.bus == 0 ? "ISA" : "bus", o.source_irq, o.gsi, acpi::polarity_name(o.polarity),
        acpi::trigger_name(o.trigger), o.flags);
  }
  add(out, "\nNMI: %zu local APIC NMI, %zu NMI source\n", t.lapic_nmis.size(), t.nmi_sources.size());
  for (const acpi::LapicNmiInfo& n : t.lapic_nmis) {
    if (n.all_cpus) out += "  all CPUs";
    else add(out, "  CPU uid %u", n.uid);
    add(out, ": LINT%u, polarity %s, trigger %s%s", n.lint, acpi::polarity_name(n.polarity),
        acpi::trigger_name(n.trigger), n.x2apic ? " (x2APIC NMI entry)" : "");
    if (!n.all_cpus) {
      bool matched = false;
      for (const acpi::Cpu& c : t.cpus) matched = matched || acpi::nmi_applies_to(n, c);
      if (!matched) out += " (no usable CPU has this uid)";
    }
    out += "\n";
  }
  for (const acpi::NmiSourceInfo& n : t.nmi_sources) {
    add(out, "  NMI source: GSI %u, polarity %s, trigger %s\n", n.gsi, acpi::polarity_name(n.polarity),
        acpi::trigger_name(n.trigger));
  }
  if (t.has_wakeup) {
    add(out, "\nMultiprocessor wakeup mailbox: version %u at 0x%llx", t.wakeup_version,
        static_cast<unsigned long long>(t.wakeup_mailbox));
    if (t.wakeup_reset_vector != 0) {
      add(out, ", reset vector 0x%llx", static_cast<unsigned long long>(t.wakeup_reset_vector));
    }
    out += "\n";
  }
}

void print_numa(const Report& r, std::string& out) {
  std::map<std::uint32_t, std::pair<std::vector<std::uint32_t>, std::vector<const acpi::SratEntry*>>> nodes;
  std::size_t disabled = 0;
  for (const acpi::SratEntry& e : r.srat) {
    if (!e.enabled()) {
      ++disabled;
      continue;
    }
    if (e.is(acpi::SratType::kMemory)) nodes[e.memory.domain].second.push_back(&e);
    else nodes[e.processor.domain].first.push_back(acpi::to_raw(e.processor.apic_id));
  }
  add(out, "\nNUMA (SRAT): %zu nodes, %zu disabled entries ignored\n", nodes.size(), disabled);
  for (const auto& [domain, node] : nodes) {
    add(out, "  node %u: %zu CPUs (APIC IDs", domain, node.first.size());
    for (std::uint32_t id : node.first) add(out, " %u", id);
    out += ")\n";
    for (const acpi::SratEntry* m : node.second) {
      add(out, "    memory 0x%llx-0x%llx%s%s\n", static_cast<unsigned long long>(m->memory.base),
          static_cast<unsigned long long>(m->memory.base + m->memory.length - 1),
          (m->memory.flags & acpi::kSratMemHotPluggable) ? " hot-pluggable" : "",
          (m->memory.flags & acpi::kSratMemNonVolatile) ? " non-volatile" : "");
    }
  }
}

void print_gas(const acpi::Gas& g, std::string& out) {
  add(out, "%s 0x%llx (%u bits)", acpi::address_space_name(g.space_id),
      static_cast<unsigned long long>(g.address), g.bit_width);
}

void print_platform(const Report& r, std::string& out) {
  if (r.hpet) {
    const acpi::Hpet& h = *r.hpet;
    out += "\nHPET: base ";
    print_gas(h.base, out);
    add(out, ", %u comparators, %s counter, minimum tick %u%s\n", h.comparators,
        h.counter_64bit ? "64-bit" : "32-bit", h.minimum_tick,
        h.legacy_replacement ? ", legacy replacement capable" : "");
  }
  if (r.fadt) {
    const acpi::Fadt& f = *r.fadt;
    add(out, "\nFADT revision %u, %u bytes, SCI IRQ %u%s\n", f.revision, f.length, f.sci_interrupt,
        f.hardware_reduced() ? ", hardware-reduced ACPI" : "");
    out += "  PM timer: ";
    if (f.pm_timer_present) {
      print_gas(f.pm_timer, out);
      add(out, ", %s%s\n", f.pm_timer_32bit ? "32-bit" : "24-bit",
          f.pm_timer_from_x_field ? " (X_PM_TMR_BLK)" : " (PM_TMR_BLK)");
    } else {
      out += "none\n";
    }
    out += "  Reset register: ";
    if (f.reset_supported) {
      print_gas(f.reset_register, out);
      add(out, ", value 0x%x\n", f.reset_value);
    } else {
      out += "not supported\n";
    }
    if (f.boot_flags_valid) {
      add(out, "  IA-PC boot flags 0x%x: %s, %s, %s, %s, %s\n", f.boot_flags,
          f.legacy_devices() ? "legacy devices" : "no legacy devices",
          f.has_8042() ? "8042 present" : "no 8042", f.no_vga() ? "no VGA" : "VGA may be present",
          f.msi_not_supported() ? "MSI not supported" : "MSI supported",
          f.no_cmos_rtc() ? "no CMOS RTC" : "CMOS RTC present");
    } else {
      out += "  IA-PC boot flags: not defined for this FADT revision\n";
    }
  }
  if (r.has_mcfg) {
    add(out, "\nMCFG: %zu ECAM ranges\n", r.mcfg.size());
    for (const acpi::EcamRange& m : r.mcfg) {
      add(out, "  segment %u buses %u-%u at 0x%llx\n", m.segment, m.start_bus, m.end_bus,
          static_cast<unsigned long long>(m.base));
    }
  }
}

}  // namespace

void print_text(const Report& r, std::string& out) {
  add(out, "Tables found %s\n", r.source.c_str());
  for (const std::string& n : r.notes) add(out, "note: %s\n", n.c_str());
  if (r.topology) {
    out += "\n";
    print_topology(*r.topology, out);
  }
  if (r.has_srat) print_numa(r, out);
  print_platform(r, out);
  for (const std::string& w : r.warnings) add(out, "warning: %s\n", w.c_str());
  for (const std::string& e : r.errors) add(out, "error: %s\n", e.c_str());
}

}  // namespace acpiinfo
