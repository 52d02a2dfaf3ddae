// The APIC ID of the CPU running this code, from CPUID: the MADT's order says nothing about which
// CPU booted, so the topology takes this as an input.
#pragma once

#include "acpi/topology.h"

namespace kfirmware {

// Leaf 0x1F or 0xB (the full 32-bit x2APIC ID) when the CPU has them, else leaf 1 EBX[31:24]
// (the 8-bit initial APIC ID). Any CPU, no locks.
acpi::ApicId boot_apic_id();

}  // namespace kfirmware
