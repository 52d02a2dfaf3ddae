// The C++ side of every exception: a fault a test expected is recorded and resumed
// (fault_recovery.h); anything else is reported in full and panics.
#include "kernel/arch/x86_64/backtrace.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/nmi.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/console/raw.h"
#include "kernel/core/panic.h"

namespace arch {
namespace {

NmiHook g_nmi_hook = nullptr;  // accessed with atomic builtins (set once, read in NMI context)

void print_page_fault(std::uint64_t error, std::uint64_t cr2) {
  // Decoded as the SDM names the bits, so the line reads without a manual at hand.
  klog::raw("page fault at {:#018x}: {} {} {} {}{}{}\n", cr2,
            (error & kPfPresent) ? "P(protection)" : "NP(not-present)",
            (error & kPfWrite) ? "W(write)" : "R(read)",
            (error & kPfUser) ? "U(user)" : "S(supervisor)",
            (error & kPfInstruction) ? "I(fetch) " : "",
            (error & kPfReservedBit) ? "RSVD " : "", (error & kPfProtectionKey) ? "PK" : "");
}

void report(const InterruptFrame& f, std::uint64_t cr2) {
  klog::raw("\nEXCEPTION {} {} (vector {}) error code {:#x}\n", vector_mnemonic(f.vector),
            vector_name(f.vector), f.vector, f.error_code);
  print_code_address("RIP", f.rip, false);
  klog::raw("CS {:#06x} RFLAGS {:#018x} RSP {:#018x} SS {:#06x}\n", f.cs, f.rflags, f.rsp, f.ss);
  klog::raw("CR2 {:#018x} CR3 {:#018x}\n", cr2, read_cr3());
  if (f.vector == static_cast<std::uint64_t>(Vector::kPageFault)) print_page_fault(f.error_code, cr2);
  klog::raw("RAX {:#018x} RBX {:#018x} RCX {:#018x}\n", f.rax, f.rbx, f.rcx);
  klog::raw("RDX {:#018x} RSI {:#018x} RDI {:#018x}\n", f.rdx, f.rsi, f.rdi);
  klog::raw("RBP {:#018x} R8  {:#018x} R9  {:#018x}\n", f.rbp, f.r8, f.r9);
  klog::raw("R10 {:#018x} R11 {:#018x} R12 {:#018x}\n", f.r10, f.r11, f.r12);
  klog::raw("R13 {:#018x} R14 {:#018x} R15 {:#018x}\n", f.r13, f.r14, f.r15);
  print_backtrace(f.rbp, f.rip);
}

}  // namespace

void set_nmi_hook(NmiHook hook) { __atomic_store_n(&g_nmi_hook, hook, __ATOMIC_RELEASE); }

bool run_nmi_hook(InterruptFrame& frame) {
  NmiHook hook = __atomic_load_n(&g_nmi_hook, __ATOMIC_ACQUIRE);
  return hook != nullptr && hook(frame);
}

}  // namespace arch

// Called by exception_common (exception_stubs.S) with interrupts off.
extern "C" void exception_dispatch(arch::InterruptFrame* frame) {
  if (frame->vector == static_cast<std::uint64_t>(arch::Vector::kNmi) && arch::run_nmi_hook(*frame)) {
    return;
  }
  if (arch::try_recover_from_fault(*frame)) return;
  // CR2 first: a fault while reporting would overwrite it.
  const std::uint64_t cr2 = arch::read_cr2();
  if (!kpanic::begin()) kpanic::stop();  // a fault inside a panic: stop quietly
  arch::report(*frame, cr2);
  klog::raw("PANIC: unhandled {} in kernel mode\n", arch::vector_mnemonic(frame->vector));
  kpanic::stop();
}
