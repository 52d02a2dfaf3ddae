// The machine's processors and interrupt wiring, as the kernel needs them, built from the MADT.
//
// Rules (ACPI 6.5 §5.2.12.2 and §5.2.12.12, and what Linux does with real firmware):
//  - a CPU is started at boot (usable) when its Enabled flag is set;
//  - Enabled = 0 with Online Capable = 1 (MADT revision >= 5; before that bit 1 is reserved and
//    ignored) is a CPU the platform may hot-add later: not started, kept in `skipped` with
//    reason kOnlineCapable and counted in `hotpluggable` (Linux counts it possible, not
//    present);
//  - Local APIC entries with APIC ID 0xFF and x2APIC entries with ID 0xFFFFFFFF are placeholders;
//  - an APIC ID listed twice (typically once as Local APIC, once as x2APIC) counts once;
//  - every entry not turned into a CPU is kept in `skipped` with its reason;
//  - logical CPU numbers are dense, the boot CPU is 0 and the rest follow in MADT order. The
//    boot CPU's APIC ID is an input: the MADT's order says nothing about which CPU booted.
//
// No fixed cap: measure_topology() counts the entries, the caller provides storage of that size
// (the kernel from its heap, the host from std::vector), build_topology() fills it.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/madt.h"

namespace acpi {

// APIC IDs are acpi::ApicId (klib::ApicId, smp/klib/ids.h, through acpi/madt.h): 32-bit
// everywhere (x2APIC). A CPU's logical number is its index in Topology::cpus.

inline constexpr std::uint32_t kXApicPlaceholderId = 0xFF;
inline constexpr std::uint32_t kX2ApicPlaceholderId = 0xFFFFFFFF;
inline constexpr std::uint32_t kNmiAllCpusUid8 = 0xFF;         // Local APIC NMI
inline constexpr std::uint32_t kNmiAllCpusUid32 = 0xFFFFFFFF;  // Local x2APIC NMI

struct Cpu {
  ApicId apic_id{};
  std::uint32_t uid = 0;
  bool x2apic = false;          // listed by a Local x2APIC structure (type 9)
  bool enabled = false;
  bool online_capable = false;  // flag bit 1 (MADT revision >= 5 only); Enabled decides here
  bool listed = true;           // false: the boot CPU, absent from the MADT (firmware bug)
  std::uint32_t madt_offset = 0;
};

enum class SkipReason : std::uint8_t {
  kPlaceholderId,  // APIC ID 0xFF (type 0) or 0xFFFFFFFF (type 9)
  kDisabled,       // neither Enabled nor (usable) Online Capable
  kDuplicateId,    // APIC ID already taken by an earlier usable (or hot-pluggable) entry
  kOnlineCapable,  // not Enabled but Online Capable: may be hot-added later, not started now
};
const char* skip_reason_name(SkipReason reason);

struct SkippedCpu {
  ApicId apic_id{};
  std::uint32_t uid = 0;
  bool x2apic = false;
  std::uint32_t flags = 0;
  std::uint32_t madt_offset = 0;
  SkipReason reason = SkipReason::kDisabled;
  std::uint32_t duplicate_of = 0;  // kDuplicateId: MADT offset of the entry that was kept
};

struct IoApicInfo {
  std::uint8_t id = 0;
  std::uint32_t address = 0;
  // The first GSI. How many entries follow is in the IOAPIC's version register, not in the
  // MADT: the kernel's IOAPIC set-up reads and keeps it (kernel/interrupts/io_apic.h).
  std::uint32_t gsi_base = 0;
};

struct InterruptOverride {
  std::uint8_t bus = 0;  // 0 = ISA, the only bus the spec defines
  std::uint8_t source_irq = 0;
  std::uint32_t gsi = 0;
  std::uint16_t flags = 0;
  Polarity polarity = Polarity::kConforms;
  Trigger trigger = Trigger::kConforms;
};

struct NmiSourceInfo {
  std::uint32_t gsi = 0;
  std::uint16_t flags = 0;
  Polarity polarity = Polarity::kConforms;
  Trigger trigger = Trigger::kConforms;
};

struct LapicNmiInfo {
  bool all_cpus = false;  // UID 0xFF (type 4) or 0xFFFFFFFF (type 0xA)
  std::uint32_t uid = 0;
  bool x2apic = false;    // from a Local x2APIC NMI structure
  std::uint8_t lint = 0;  // LINT0 or LINT1
  std::uint16_t flags = 0;
  Polarity polarity = Polarity::kConforms;
  Trigger trigger = Trigger::kConforms;
};

// Caller-owned array: `capacity` slots at `data`, `size` of them filled.
template <typename T>
struct Slots {
  T* data = nullptr;
  std::uint32_t capacity = 0;
  std::uint32_t size = 0;

  const T& operator[](std::uint32_t i) const { return data[i]; }
  T& operator[](std::uint32_t i) { return data[i]; }
  bool push(const T& value) {
    if (size >= capacity) return false;
    data[size++] = value;
    return true;
  }
};

// What build_topology() needs room for. `cpus` is processor_entries + 1: the boot CPU may be
// missing from the table and is added anyway.
struct TopologySizes {
  std::uint32_t processor_entries = 0;  // types 0 and 9
  std::uint32_t ioapics = 0;
  std::uint32_t overrides = 0;
  std::uint32_t nmi_sources = 0;
  std::uint32_t lapic_nmis = 0;         // types 4 and 0xA
  std::uint32_t cpu_slots() const { return processor_entries + 1; }
};

enum class BootCpuStatus : std::uint8_t {
  kListed,          // found among the usable entries
  kListedUnusable,  // found, but its entry is disabled/placeholder: used anyway, it is running
  kNotListed,       // absent from the MADT: added as CPU 0 with listed = false
};

struct Topology {
  std::uint64_t lapic_address = 0;       // after any Local APIC Address Override (type 5)
  bool lapic_address_overridden = false;
  bool pcat_compat = false;
  std::uint8_t madt_revision = 0;
  BootCpuStatus boot_status = BootCpuStatus::kListed;
  bool has_wakeup_mailbox = false;        // Multiprocessor Wakeup structure present
  std::uint16_t wakeup_mailbox_version = 0;
  std::uint64_t wakeup_mailbox_address = 0;
  std::uint64_t wakeup_reset_vector = 0;
  Slots<Cpu> cpus;  // index = logical CPU number, 0 = boot CPU
  Slots<SkippedCpu> skipped;
  // Online-capable CPUs (distinct APIC IDs, none of them in `cpus`): possible CPUs are
  // cpus.size + hotpluggable.
  std::uint32_t hotpluggable = 0;
  Slots<IoApicInfo> ioapics;
  Slots<InterruptOverride> overrides;
  Slots<NmiSourceInfo> nmi_sources;
  Slots<LapicNmiInfo> lapic_nmis;
};

// Counting pass: validates every entry and counts what build_topology() will store.
klib::Result<TopologySizes, Error> measure_topology(const Madt& madt);

// Fills `out`, whose Slots the caller has pointed at storage of at least the measured sizes
// (cpus: sizes.cpu_slots(), skipped: sizes.processor_entries). `boot` is the APIC ID of the CPU
// running this code. Errors: malformed entries, kStorageTooSmall.
klib::Result<void, Error> build_topology(const Madt& madt, ApicId boot, Topology& out);

// The APIC ID of the first usable (Enabled) processor entry in MADT order, for callers that
// cannot ask the hardware (the host tool). False when no entry is usable.
klib::Result<bool, Error> first_usable_apic_id(const Madt& madt, ApicId& out);

// Whether `nmi` applies to `cpu` (same UID or "all CPUs").
inline bool nmi_applies_to(const LapicNmiInfo& nmi, const Cpu& cpu) {
  return nmi.all_cpus || (cpu.listed && nmi.uid == cpu.uid);
}

}  // namespace acpi
