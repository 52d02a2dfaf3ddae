// The kernel's MsrIo: RDMSR/WRMSR on the CPU running the code.
#pragma once

#include "kernel/arch/x86_64/apic/lapic_access.h"
#include "kernel/arch/x86_64/cpu.h"

namespace apic {

class HardwareMsr final : public MsrIo {
 public:
  // arch::Msr is an enum with a fixed underlying type, so any MSR number converts to it.
  std::uint64_t read(std::uint32_t msr) override { return arch::rdmsr(static_cast<arch::Msr>(msr)); }
  void write(std::uint32_t msr, std::uint64_t value) override {
    arch::wrmsr(static_cast<arch::Msr>(msr), value);
  }
};

}  // namespace apic
