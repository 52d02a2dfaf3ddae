#include "kernel/core/crash_report.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/exception.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/raw.h"
#include "kernel/core/backtrace.h"
#include "kernel/core/panic.h"

namespace kpanic {
namespace {

void print_page_fault(std::uint64_t error, std::uint64_t cr2) {
  using namespace arch;
  // Decoded as the SDM names the bits, so the line reads without a manual at hand.
  klog::raw("page fault at {:#018x}: {} {} {} {}{}{}\n", cr2,
            (error & kPfPresent) ? "P(protection)" : "NP(not-present)",
            (error & kPfWrite) ? "W(write)" : "R(read)",
            (error & kPfUser) ? "U(user)" : "S(supervisor)",
            (error & kPfInstruction) ? "I(fetch) " : "",
            (error & kPfReservedBit) ? "RSVD " : "", (error & kPfProtectionKey) ? "PK" : "");
}

void report(const arch::InterruptFrame& f, std::uint64_t cr2) {
  klog::raw("\nEXCEPTION {} {} (vector {}) error code {:#x}\n", arch::vector_mnemonic(f.vector),
            arch::vector_name(f.vector), f.vector, f.error_code);
  print_code_address("RIP", f.rip, false);
  klog::raw("CS {:#06x} RFLAGS {:#018x} RSP {:#018x} SS {:#06x}\n", f.cs, f.rflags, f.rsp, f.ss);
  klog::raw("CR2 {:#018x} CR3 {:#018x}\n", cr2, arch::read_cr3());
  if (f.vector == static_cast<std::uint64_t>(arch::Vector::kPageFault)) {
    print_page_fault(f.error_code, cr2);
  }
  klog::raw("RAX {:#018x} RBX {:#018x} RCX {:#018x}\n", f.rax, f.rbx, f.rcx);
  klog::raw("RDX {:#018x} RSI {:#018x} RDI {:#018x}\n", f.rdx, f.rsi, f.rdi);
  klog::raw("RBP {:#018x} R8  {:#018x} R9  {:#018x}\n", f.rbp, f.r8, f.r9);
  klog::raw("R10 {:#018x} R11 {:#018x} R12 {:#018x}\n", f.r10, f.r11, f.r12);
  klog::raw("R13 {:#018x} R14 {:#018x} R15 {:#018x}\n", f.r13, f.r14, f.r15);
  print_backtrace(f.rbp, f.rip);
}

void unhandled_exception(const arch::InterruptFrame& frame, std::uint64_t cr2) {
  if (!begin()) stop();  // a fault inside a panic: stop quietly
  report(frame, cr2);
  klog::raw("PANIC: unhandled {} in kernel mode\n", arch::vector_mnemonic(frame.vector));
  stop();
}

}  // namespace

void install_crash_report() { arch::set_unhandled_exception_handler(unhandled_exception); }

}  // namespace kpanic
