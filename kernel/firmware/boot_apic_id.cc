#include "kernel/firmware/boot_apic_id.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kfirmware {

acpi::ApicId boot_apic_id() {
  const std::uint32_t max_leaf = arch::cpuid(0).eax;
  // Leaves 0x1F and 0xB: a subleaf-0 EBX of 0 means the leaf is not implemented (Intel SDM
  // vol. 2A, CPUID); EDX then holds nothing. AMD implements 0xB, not 0x1F.
  for (std::uint32_t leaf : {0x1Fu, 0xBu}) {
    if (max_leaf < leaf) continue;
    const arch::CpuidResult r = arch::cpuid(leaf, 0);
    if ((r.ebx & 0xFFFF) != 0) return acpi::ApicId{r.edx};
  }
  return acpi::ApicId{arch::cpuid(1).ebx >> 24};
}

}  // namespace kfirmware
