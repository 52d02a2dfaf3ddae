// The two ways to name a CPU, one type each (STYLE.md rule 6):
//   ApicId     the local APIC ID, as the hardware and the MADT report it: sparse, 32-bit (an
//              xAPIC uses the low 8 bits); what the ICR, the IOAPIC and the trampoline address.
//   CpuNumber  the dense logical CPU number the kernel gives each started CPU; the boot CPU is
//              0. It indexes per-CPU arrays, runqueues and CPU sets.
// Here, at the bottom of the layers, so that acpi/ (which may include only smp/klib) and the
// platform contract (smp/platform/platform.h) share one declaration.
//
// Both are enums without enumerators: `ApicId{raw}` and `CpuNumber{index}` are the explicit
// constructors, to_raw() and to_index() the only ways back to a number, and one kind never
// converts into the other (the MADT topology, or the per-CPU block, maps between them).
#pragma once

#include <cstdint>

namespace klib {

enum class ApicId : std::uint32_t {};
enum class CpuNumber : std::uint32_t {};

// The ID as the hardware field holds it (for register writes, table layouts and reports).
constexpr std::uint32_t to_raw(ApicId id) { return static_cast<std::uint32_t>(id); }

// The CPU number as an array index.
constexpr std::uint32_t to_index(CpuNumber cpu) { return static_cast<std::uint32_t>(cpu); }

}  // namespace klib
