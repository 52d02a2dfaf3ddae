// acpiinfo --json. The schema is documented in README.md; keep the two in step.
#include <cstdio>
#include <map>
#include <type_traits>

#include "acpi/tools/acpiinfo/report.h"

namespace acpiinfo {
namespace {

// Appends JSON with commas handled: open/close containers, then key/value pairs or values.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { value_prefix(); out_ += '{'; first_ = true; }
  void end_object() { out_ += '}'; first_ = false; }
  void begin_array() { value_prefix(); out_ += '['; first_ = true; }
  void end_array() { out_ += ']'; first_ = false; }
  void key(const char* k) {
    if (!first_) out_ += ',';
    string_literal(k);
    out_ += ':';
    after_key_ = true;
  }
  void number(std::uint64_t v) { value_prefix(); out_ += std::to_string(v); }
  void boolean(bool v) { value_prefix(); out_ += v ? "true" : "false"; }
  void string(const std::string& s) { value_prefix(); string_literal(s); }

  template <typename T>
  void field(const char* k, T v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) boolean(v);
    else if constexpr (std::is_convertible_v<T, std::string>) string(v);
    else number(static_cast<std::uint64_t>(v));
  }

 private:
  void value_prefix() {
    if (!after_key_ && !first_) out_ += ',';
    after_key_ = false;
    first_ = false;
  }
  void string_literal(const std::string& s) {
    out_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

const char* skip_code(acpi::SkipReason r) {
  switch (r) {
    case acpi::SkipReason::kPlaceholderId: return "placeholder_id";
    case acpi::SkipReason::kDisabled: return "disabled";
    case acpi::SkipReason::kDuplicateId: return "duplicate_id";
    case acpi::SkipReason::kOnlineCapable: return "online_capable";
  }
  return "?";
}

const char* boot_code(acpi::BootCpuStatus s) {
  switch (s) {
    case acpi::BootCpuStatus::kListed: return "listed";
    case acpi::BootCpuStatus::kListedUnusable: return "listed_unusable";
    case acpi::BootCpuStatus::kNotListed: return "not_listed";
  }
  return "?";
}

void write_topology(JsonWriter& j, const TopologyReport& t) {
  j.field("madt_revision", t.madt_revision);
  j.field("lapic_address", t.lapic_address);
  j.field("lapic_address_overridden", t.lapic_address_overridden);
  j.field("pcat_compat", t.pcat_compat);
  j.field("boot_apic_id", acpi::to_raw(t.boot_apic_id));
  j.field("boot_apic_id_source", t.boot_apic_id_given ? "argument" : "first_usable_entry");
  j.field("boot_cpu_status", boot_code(t.boot_status));
  j.key("cpus");
  j.begin_array();
  for (std::size_t i = 0; i < t.cpus.size(); ++i) {
    const acpi::Cpu& c = t.cpus[i];
    j.begin_object();
    j.field("logical", i);
    j.field("apic_id", acpi::to_raw(c.apic_id));
    if (c.listed) j.field("uid", c.uid);
    j.field("x2apic", c.x2apic);
    j.field("enabled", c.enabled);
    j.field("online_capable", c.online_capable);
    j.field("listed", c.listed);
    if (c.listed) j.field("madt_offset", c.madt_offset);
    j.end_object();
  }
  j.end_array();
  j.field("hotpluggable", t.hotpluggable);
  j.key("skipped");
  j.begin_array();
  for (const acpi::SkippedCpu& s : t.skipped) {
    j.begin_object();
    j.field("apic_id", acpi::to_raw(s.apic_id));
    j.field("uid", s.uid);
    j.field("x2apic", s.x2apic);
    j.field("flags", s.flags);
    j.field("madt_offset", s.madt_offset);
    j.field("reason", skip_code(s.reason));
    if (s.reason == acpi::SkipReason::kDuplicateId) j.field("duplicate_of", s.duplicate_of);
    j.end_object();
  }
  j.end_array();
  j.key("ioapics");
  j.begin_array();
  for (const acpi::IoApicInfo& io : t.ioapics) {
    j.begin_object();
    j.field("id", io.id);
    j.field("address", io.address);
    j.field("gsi_base", io.gsi_base);
    j.end_object();
  }
  j.end_array();
  j.key("overrides");
  j.begin_array();
  for (const acpi::InterruptOverride& o : t.overrides) {
    j.begin_object();
    j.field("bus", o.bus);
    j.field("source_irq", o.source_irq);
    j.field("gsi", o.gsi);
    j.field("flags", o.flags);
    j.field("polarity", acpi::polarity_name(o.polarity));
    j.field("trigger", acpi::trigger_name(o.trigger));
    j.end_object();
  }
  j.end_array();
  j.key("nmis");
  j.begin_array();
  for (const acpi::LapicNmiInfo& n : t.lapic_nmis) {
    j.begin_object();
    j.field("all_cpus", n.all_cpus);
    if (!n.all_cpus) j.field("uid", n.uid);
    j.field("x2apic", n.x2apic);
    j.field("lint", n.lint);
    j.field("flags", n.flags);
    j.field("polarity", acpi::polarity_name(n.polarity));
    j.field("trigger", acpi::trigger_name(n.trigger));
    j.end_object();
  }
  j.end_array();
  j.key("nmi_sources");
  j.begin_array();
  for (const acpi::NmiSourceInfo& n : t.nmi_sources) {
    j.begin_object();
    j.field("gsi", n.gsi);
    j.field("flags", n.flags);
    j.field("polarity", acpi::polarity_name(n.polarity));
    j.field("trigger", acpi::trigger_name(n.trigger));
    j.end_object();
  }
  j.end_array();
  if (t.has_wakeup) {
    j.key("wakeup");
    j.begin_object();
    j.field("mailbox_version", t.wakeup_version);
    j.field("mailbox_address", t.wakeup_mailbox);
    j.field("reset_vector", t.wakeup_reset_vector);
    j.end_object();
  }
}

void write_gas(JsonWriter& j, const char* name, const acpi::Gas& g) {
  j.key(name);
  j.begin_object();
  j.field("space_id", g.space_id);
  j.field("bit_width", g.bit_width);
  j.field("bit_offset", g.bit_offset);
  j.field("access_size", g.access_size);
  j.field("address", g.address);
  j.end_object();
}

void write_numa(JsonWriter& j, const Report& r) {
  std::map<std::uint32_t, std::pair<std::vector<std::uint32_t>, std::vector<const acpi::SratEntry*>>> nodes;
  for (const acpi::SratEntry& e : r.srat) {
    if (!e.enabled()) continue;
    if (e.is(acpi::SratType::kMemory)) nodes[e.memory.domain].second.push_back(&e);
    else nodes[e.processor.domain].first.push_back(acpi::to_raw(e.processor.apic_id));
  }
  j.key("numa_nodes");
  j.begin_array();
  for (const auto& [domain, node] : nodes) {
    j.begin_object();
    j.field("domain", domain);
    j.key("apic_ids");
    j.begin_array();
    for (std::uint32_t id : node.first) j.number(id);
    j.end_array();
    j.key("memory");
    j.begin_array();
    for (const acpi::SratEntry* m : node.second) {
      j.begin_object();
      j.field("base", m->memory.base);
      j.field("length", m->memory.length);
      j.field("hot_pluggable", (m->memory.flags & acpi::kSratMemHotPluggable) != 0);
      j.field("non_volatile", (m->memory.flags & acpi::kSratMemNonVolatile) != 0);
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_array();
}

void write_platform(JsonWriter& j, const Report& r) {
  if (r.hpet) {
    const acpi::Hpet& h = *r.hpet;
    j.key("hpet");
    j.begin_object();
    write_gas(j, "base", h.base);
    j.field("comparators", h.comparators);
    j.field("counter_64bit", h.counter_64bit);
    j.field("legacy_replacement", h.legacy_replacement);
    j.field("minimum_tick", h.minimum_tick);
    j.field("hpet_number", h.hpet_number);
    j.field("pci_vendor_id", h.pci_vendor_id);
    j.end_object();
  }
  if (r.fadt) {
    const acpi::Fadt& f = *r.fadt;
    j.key("fadt");
    j.begin_object();
    j.field("revision", f.revision);
    j.field("length", f.length);
    j.field("sci_interrupt", f.sci_interrupt);
    j.field("hardware_reduced", f.hardware_reduced());
    if (f.pm_timer_present) {
      write_gas(j, "pm_timer", f.pm_timer);
      j.field("pm_timer_32bit", f.pm_timer_32bit);
      j.field("pm_timer_from_x_field", f.pm_timer_from_x_field);
    }
    if (f.reset_supported) {
      write_gas(j, "reset_register", f.reset_register);
      j.field("reset_value", f.reset_value);
    }
    if (f.boot_flags_valid) {
      j.field("boot_flags", f.boot_flags);
      j.field("legacy_devices", f.legacy_devices());
      j.field("has_8042", f.has_8042());
      j.field("no_vga", f.no_vga());
      j.field("msi_not_supported", f.msi_not_supported());
      j.field("no_cmos_rtc", f.no_cmos_rtc());
    }
    j.end_object();
  }
  if (r.has_mcfg) {
    j.key("mcfg");
    j.begin_array();
    for (const acpi::EcamRange& m : r.mcfg) {
      j.begin_object();
      j.field("base", m.base);
      j.field("segment", m.segment);
      j.field("start_bus", m.start_bus);
      j.field("end_bus", m.end_bus);
      j.end_object();
    }
    j.end_array();
  }
}

void write_strings(JsonWriter& j, const char* name, const std::vector<std::string>& list) {
  j.key(name);
  j.begin_array();
  for (const std::string& s : list) j.string(s);
  j.end_array();
}

}  // namespace

void print_json(const Report& r, std::string& out) {
  JsonWriter j(out);
  j.begin_object();
  j.field("source", r.source);
  if (r.topology) write_topology(j, *r.topology);
  if (r.has_srat) write_numa(j, r);
  write_platform(j, r);
  write_strings(j, "notes", r.notes);
  write_strings(j, "warnings", r.warnings);
  write_strings(j, "errors", r.errors);
  j.end_object();
  out += '\n';
}

}  // namespace acpiinfo
