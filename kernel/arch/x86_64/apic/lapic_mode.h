// Choosing xAPIC or x2APIC from IA32_APIC_BASE and CPUID, as a plan of MSR writes (pure, so the
// firmware states QEMU cannot produce are host-tested).
//
// SDM "x2APIC State Transitions": from reset the APIC is in xAPIC mode; xAPIC -> x2APIC by
// setting EXTD with EN set; disabled -> xAPIC by setting EN; x2APIC -> xAPIC only through
// disabled (which resets APIC state), so a kernel that finds x2APIC on stays in it. EN=0 with
// EXTD=1 is an invalid state.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/lapic_registers.h"

namespace apic {

enum class ApicMode : std::uint8_t { kXApic, kX2Apic };
const char* apic_mode_name(ApicMode mode);

struct ModePlan {
  const char* error = nullptr;  // non-null: nothing may be written, the CPU cannot be used
  ApicMode mode = ApicMode::kXApic;
  bool firmware_left_x2apic = false;
  bool was_disabled = false;
  std::uint32_t write_count = 0;
  Reg64 writes[2] = {};  // IA32_APIC_BASE values to write, in order
};

// The boot CPU: x2APIC whenever the CPU supports it (or firmware left it on).
ModePlan plan_boot_mode(Reg64 apic_base, bool cpu_has_x2apic);
// An AP: the boot CPU's mode. Errors when it cannot follow (no x2APIC support, or firmware
// left x2APIC on while the boot CPU uses xAPIC).
ModePlan plan_ap_mode(Reg64 apic_base, bool cpu_has_x2apic, ApicMode boot_mode);

}  // namespace apic
