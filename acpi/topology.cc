#include "acpi/topology.h"

namespace acpi {
namespace {

bool is_processor(const MadtEntry& e) {
  return e.is(MadtType::kLocalApic) || e.is(MadtType::kLocalX2Apic);
}

bool is_placeholder(const MadtEntry& e) {
  const std::uint32_t id = to_raw(e.local_apic.apic_id);
  return e.is(MadtType::kLocalApic) ? id == kXApicPlaceholderId : id == kX2ApicPlaceholderId;
}

bool online_capable(const Madt& madt, std::uint32_t flags) {
  return madt.revision() >= kMadtOnlineCapableRevision && (flags & kMadtCpuOnlineCapable) != 0;
}

// Started at boot: Enabled only. An online-capable CPU is absent until hot-added (ACPI 6.5
// §5.2.12.2: "the OSPM may attempt to enable it at runtime").
bool usable_flags(std::uint32_t flags) { return (flags & kMadtCpuEnabled) != 0; }

Cpu cpu_from(const Madt& madt, const MadtEntry& e) {
  Cpu cpu;
  cpu.apic_id = e.local_apic.apic_id;
  cpu.uid = e.local_apic.uid;
  cpu.x2apic = e.is(MadtType::kLocalX2Apic);
  cpu.enabled = (e.local_apic.flags & kMadtCpuEnabled) != 0;
  cpu.online_capable = online_capable(madt, e.local_apic.flags);
  cpu.madt_offset = e.offset;
  return cpu;
}

// Index of the usable CPU with this APIC ID, or -1. Linear: O(n^2) over the table is a few
// million compares for 2048 CPUs, once at boot, with no allocation.
std::int64_t find_cpu(const Slots<Cpu>& cpus, ApicId id) {
  for (std::uint32_t i = 0; i < cpus.size; ++i) {
    if (cpus[i].apic_id == id) return i;
  }
  return -1;
}

const Signature& name_of(const Madt& madt) { return madt.table().header.signature; }

// Moves cpus[index] to slot 0, keeping the others in MADT order.
void rotate_to_front(Slots<Cpu>& cpus, std::uint32_t index) {
  Cpu boot = cpus[index];
  for (std::uint32_t i = index; i > 0; --i) cpus[i] = cpus[i - 1];
  cpus[0] = boot;
}

// Online-capable entries whose APIC ID a started CPU or an earlier online-capable entry already
// has (a Local APIC and a Local x2APIC entry for one CPU) become duplicates; the rest are the
// hot-pluggable CPUs.
void count_hotpluggable(Topology& out) {
  out.hotpluggable = 0;
  for (std::uint32_t i = 0; i < out.skipped.size; ++i) {
    SkippedCpu& s = out.skipped[i];
    if (s.reason != SkipReason::kOnlineCapable) continue;
    const std::int64_t started = find_cpu(out.cpus, s.apic_id);
    if (started >= 0) {
      s.reason = SkipReason::kDuplicateId;
      s.duplicate_of = out.cpus[static_cast<std::uint32_t>(started)].madt_offset;
      continue;
    }
    bool earlier = false;
    for (std::uint32_t j = 0; j < i && !earlier; ++j) {
      const SkippedCpu& o = out.skipped[j];
      if (o.reason == SkipReason::kOnlineCapable && o.apic_id == s.apic_id) {
        s.reason = SkipReason::kDuplicateId;
        s.duplicate_of = o.madt_offset;
        earlier = true;
      }
    }
    if (!earlier) ++out.hotpluggable;
  }
}

void add_lapic_nmi(const MadtEntry& e, Topology& out) {
  LapicNmiInfo nmi;
  nmi.x2apic = e.is(MadtType::kLocalX2ApicNmi);
  nmi.uid = e.lapic_nmi.uid;
  nmi.all_cpus = nmi.x2apic ? nmi.uid == kNmiAllCpusUid32 : nmi.uid == kNmiAllCpusUid8;
  nmi.lint = e.lapic_nmi.lint;
  nmi.flags = e.lapic_nmi.flags;
  nmi.polarity = inti_polarity(nmi.flags);
  nmi.trigger = inti_trigger(nmi.flags);
  out.lapic_nmis.push(nmi);
}

}  // namespace

const char* skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kPlaceholderId: return "placeholder APIC ID";
    case SkipReason::kDisabled: return "not enabled and not online capable";
    case SkipReason::kDuplicateId: return "duplicate APIC ID";
    case SkipReason::kOnlineCapable: return "online capable: may be hot-added, not started";
  }
  return "?";
}

klib::Result<TopologySizes, Error> measure_topology(const Madt& madt) {
  TopologySizes sizes;
  auto cursor = madt.entries();
  MadtEntry e;
  while (TRY(cursor.next(e))) {
    if (is_processor(e)) ++sizes.processor_entries;
    else if (e.is(MadtType::kIoApic)) ++sizes.ioapics;
    else if (e.is(MadtType::kInterruptOverride)) ++sizes.overrides;
    else if (e.is(MadtType::kNmiSource)) ++sizes.nmi_sources;
    else if (e.is(MadtType::kLocalApicNmi) || e.is(MadtType::kLocalX2ApicNmi)) ++sizes.lapic_nmis;
  }
  return sizes;
}

klib::Result<bool, Error> first_usable_apic_id(const Madt& madt, ApicId& out) {
  auto cursor = madt.entries();
  MadtEntry e;
  while (TRY(cursor.next(e))) {
    if (is_processor(e) && !is_placeholder(e) && usable_flags(e.local_apic.flags)) {
      out = e.local_apic.apic_id;
      return true;
    }
  }
  return false;
}

klib::Result<void, Error> build_topology(const Madt& madt, ApicId boot, Topology& out) {
  TopologySizes sizes = TRY(measure_topology(madt));
  if (out.cpus.capacity < sizes.cpu_slots() || out.skipped.capacity < sizes.processor_entries ||
      out.ioapics.capacity < sizes.ioapics || out.overrides.capacity < sizes.overrides ||
      out.nmi_sources.capacity < sizes.nmi_sources || out.lapic_nmis.capacity < sizes.lapic_nmis) {
    return make_error(name_of(madt), 0, Reason::kStorageTooSmall, sizes.processor_entries);
  }
  out.cpus.size = out.skipped.size = out.ioapics.size = out.overrides.size = 0;
  out.nmi_sources.size = out.lapic_nmis.size = 0;
  out.lapic_address = madt.lapic_address();
  out.lapic_address_overridden = false;
  out.pcat_compat = madt.pcat_compat();
  out.madt_revision = madt.revision();
  out.has_wakeup_mailbox = false;
  out.hotpluggable = 0;

  // The boot CPU's own entry when it is present but not usable (see BootCpuStatus).
  bool boot_seen_unusable = false;
  Cpu boot_entry;

  auto cursor = madt.entries();
  MadtEntry e;
  while (TRY(cursor.next(e))) {
    if (is_processor(e)) {
      SkippedCpu skip;
      skip.apic_id = e.local_apic.apic_id;
      skip.uid = e.local_apic.uid;
      skip.x2apic = e.is(MadtType::kLocalX2Apic);
      skip.flags = e.local_apic.flags;
      skip.madt_offset = e.offset;
      std::int64_t earlier = find_cpu(out.cpus, skip.apic_id);
      if (is_placeholder(e)) {
        skip.reason = SkipReason::kPlaceholderId;
      } else if (!usable_flags(e.local_apic.flags)) {
        skip.reason = online_capable(madt, e.local_apic.flags) ? SkipReason::kOnlineCapable
                                                               : SkipReason::kDisabled;
        if (skip.apic_id == boot && earlier < 0 && !boot_seen_unusable) {
          boot_seen_unusable = true;
          boot_entry = cpu_from(madt, e);
        }
      } else if (earlier >= 0) {
        skip.reason = SkipReason::kDuplicateId;
        skip.duplicate_of = out.cpus[static_cast<std::uint32_t>(earlier)].madt_offset;
      } else {
        out.cpus.push(cpu_from(madt, e));
        continue;
      }
      out.skipped.push(skip);
    } else if (e.is(MadtType::kIoApic)) {
      out.ioapics.push(IoApicInfo{e.io_apic.id, e.io_apic.address, e.io_apic.gsi_base});
    } else if (e.is(MadtType::kInterruptOverride)) {
      const auto& o = e.override_;
      out.overrides.push(InterruptOverride{o.bus, o.source_irq, o.gsi, o.flags,
                                           inti_polarity(o.flags), inti_trigger(o.flags)});
    } else if (e.is(MadtType::kNmiSource)) {
      const auto& n = e.nmi_source;
      out.nmi_sources.push(NmiSourceInfo{n.gsi, n.flags, inti_polarity(n.flags), inti_trigger(n.flags)});
    } else if (e.is(MadtType::kLocalApicNmi) || e.is(MadtType::kLocalX2ApicNmi)) {
      add_lapic_nmi(e, out);
    } else if (e.is(MadtType::kLocalApicAddressOverride)) {
      // §5.2.12.8: when present, the 64-bit address replaces the 32-bit one. At most one is
      // allowed; if there are several, the last one wins, as in Linux.
      out.lapic_address = e.address_override.address;
      out.lapic_address_overridden = true;
    } else if (e.is(MadtType::kMultiprocessorWakeup)) {
      out.has_wakeup_mailbox = true;
      out.wakeup_mailbox_version = e.wakeup.mailbox_version;
      out.wakeup_mailbox_address = e.wakeup.mailbox_address;
      out.wakeup_reset_vector = e.wakeup.reset_vector;
    }
  }

  std::int64_t boot_index = find_cpu(out.cpus, boot);
  if (boot_index >= 0) {
    out.boot_status = BootCpuStatus::kListed;
    rotate_to_front(out.cpus, static_cast<std::uint32_t>(boot_index));
  } else {
    // The CPU running this code exists whatever the table says. Put it first, then drop its
    // skipped record if it had one, since it is not skipped after all.
    Cpu cpu = boot_entry;
    if (boot_seen_unusable) {
      out.boot_status = BootCpuStatus::kListedUnusable;
      for (std::uint32_t i = 0; i < out.skipped.size; ++i) {
        if (out.skipped[i].madt_offset == boot_entry.madt_offset) {
          for (std::uint32_t j = i + 1; j < out.skipped.size; ++j) out.skipped[j - 1] = out.skipped[j];
          --out.skipped.size;
          break;
        }
      }
    } else {
      out.boot_status = BootCpuStatus::kNotListed;
      cpu = Cpu{};
      cpu.apic_id = boot;
      cpu.enabled = true;
      cpu.listed = false;
      cpu.x2apic = to_raw(boot) > 0xFE;  // only x2APIC structures can describe such an ID
    }
    out.cpus.push(cpu);
    rotate_to_front(out.cpus, out.cpus.size - 1);
  }
  count_hotpluggable(out);
  return klib::Ok{};
}

}  // namespace acpi
