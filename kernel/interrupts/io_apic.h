// The machine's IOAPICs (kernel side): each one mapped uncached, its entry count read from the
// version register, every entry masked; GSIs routed to a vector on one CPU, masked, unmasked.
// Every register access goes through an IRQ-saving leaf lock per IOAPIC (the select/window
// pair must not be split). The register logic is kernel/arch/x86_64/apic/io_apic_device.h.
#pragma once

#include <cstdint>

#include "acpi/topology.h"
#include "kernel/arch/x86_64/vectors.h"
#include "smp/klib/ids.h"

namespace kinterrupts {

// Boot CPU, once, after mm::init (kinterrupts::init calls it). Remaps and masks the 8259 PICs,
// then maps every IOAPIC of `topology` (the MADT's), reads its entry count, masks all its
// entries, and reports each ("ioapic: id 0 at 0xfec00000, GSI 0..23, version 0x20"). Keeps the
// entry counts itself (io_apic_gsi_total) and a view of `topology`'s interrupt source
// overrides, which must live as long as the kernel (the ACPI report's do). Returns the number
// of usable IOAPICs.
std::uint32_t io_apic_init(const acpi::Topology& topology);

// Routes `gsi` (fixed, physical destination `apic_id`) to `v`, left masked or not as `masked`
// says. Polarity and trigger: from the MADT's override naming this GSI, else ISA defaults
// (edge, high) below 16 and PCI defaults (level, low) above. False when no IOAPIC has the GSI or
// the APIC ID does not fit (IDs above 255 need interrupt remapping).
[[nodiscard]] bool route_gsi(std::uint32_t gsi, arch::Vector v, klib::ApicId apic_id,
                             bool masked = false);
// Routes ISA IRQ `irq` through the overrides (e.g. IRQ 0 -> GSI 2 on most machines). `gsi_out`
// receives the GSI it resolved to.
[[nodiscard]] bool route_isa_irq(std::uint8_t irq, arch::Vector v, klib::ApicId apic_id,
                                 std::uint32_t* gsi_out = nullptr);
// The GSI ISA IRQ `irq` arrives on: the MADT's override for it, else the same number. A driver
// picks its vector (arch::irq_vector) from this before routing.
std::uint32_t isa_irq_gsi(std::uint8_t irq);
[[nodiscard]] bool mask_gsi(std::uint32_t gsi);
[[nodiscard]] bool unmask_gsi(std::uint32_t gsi);

// The raw redirection entry of `gsi` (for tests and diagnostics). False if no IOAPIC has it.
[[nodiscard]] bool read_gsi_entry(std::uint32_t gsi, std::uint64_t& entry);

std::uint32_t io_apic_count();
// Total redirection entries over all IOAPICs.
std::uint32_t io_apic_gsi_total();

}  // namespace kinterrupts
