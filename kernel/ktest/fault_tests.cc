// Exceptions taken on purpose and caught with expect_fault: the handler must record the right
// vector, error code and address, then resume.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/core/deliberate_fault.h"
#include "kernel/ktest/expect_fault.h"
#include "kernel/ktest/ktest.h"

namespace {

volatile std::uint64_t* unmapped() {
  return reinterpret_cast<volatile std::uint64_t*>(core::kUnmappedAddress + 0x18);
}

}  // namespace

KTEST(fault_page_write_reports_address_and_error) {
  const ktest::FaultRecord r =
      ktest::expect_fault(arch::Vector::kPageFault, [] { *unmapped() = 1; });
  KCHECK(r.faulted);
  KCHECK_EQ(r.vector, 14u);
  KCHECK_EQ(r.address, core::kUnmappedAddress + 0x18);
  // Not present, write, supervisor, data access.
  KCHECK_EQ(r.error_code, arch::kPfWrite);
}

KTEST(fault_page_read_reports_read) {
  std::uint64_t sink = 0;
  const ktest::FaultRecord r =
      ktest::expect_fault(arch::Vector::kPageFault, [&sink] { sink = *unmapped(); });
  KCHECK(r.faulted);
  KCHECK_EQ(r.error_code, 0u);
  KCHECK_EQ(r.address, core::kUnmappedAddress + 0x18);
  KCHECK_EQ(sink, 0u);  // the load never completed
}

KTEST(fault_invalid_opcode_caught) {
  const ktest::FaultRecord r =
      ktest::expect_fault(arch::Vector::kInvalidOpcode, [] { asm volatile("ud2"); });
  KCHECK(r.faulted);
  KCHECK_EQ(r.vector, 6u);
  KCHECK_EQ(r.error_code, 0u);
  // The RIP points at the ud2 itself (0x0f 0x0b): a fault, not a trap.
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(r.rip);
  KCHECK_EQ(bytes[0], 0x0f);
  KCHECK_EQ(bytes[1], 0x0b);
}

KTEST(fault_divide_error_caught) {
  const ktest::FaultRecord r = ktest::expect_fault(arch::Vector::kDivideError, [] {
    std::uint64_t divisor = 0;
    // An asm divide: the compiler may not fold or remove a division by a known zero here.
    asm volatile("xorl %%edx, %%edx\n\tmovl $1, %%eax\n\tdivq %0"
                 : "+r"(divisor)
                 :
                 : "rax", "rdx");
  });
  KCHECK(r.faulted);
  KCHECK_EQ(r.vector, 0u);
}

KTEST(fault_expect_without_fault) {
  int ran = 0;
  const ktest::FaultRecord r = ktest::expect_fault(arch::Vector::kPageFault, [&ran] { ++ran; });
  KCHECK(!r.faulted);
  KCHECK_EQ(ran, 1);
}

KTEST(fault_recovery_disarmed_after_fault) {
  // Two faults in a row both recover: the first disarmed and the second armed afresh, and
  // the callee-saved registers of this frame survived the resume.
  volatile std::uint64_t marker = 0x1234;
  for (int i = 0; i < 2; ++i) {
    const ktest::FaultRecord r =
        ktest::expect_fault(arch::Vector::kInvalidOpcode, [] { asm volatile("ud2"); });
    KCHECK(r.faulted);
  }
  KCHECK_EQ(marker, 0x1234u);
  KCHECK(arch::current_fault_recovery() == nullptr);
}
