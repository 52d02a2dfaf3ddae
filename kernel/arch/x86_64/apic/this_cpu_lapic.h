// The register-level device of the CPU running the code, for kernel code that programs more
// than local_apic.h offers (the LAPIC timer in kernel/time). After apic::init_*() on this CPU;
// interrupts off while used (the device is this CPU's).
#pragma once

#include "kernel/arch/x86_64/apic/lapic_device.h"

namespace apic {

LocalApicDevice& this_cpu_device();

}  // namespace apic
