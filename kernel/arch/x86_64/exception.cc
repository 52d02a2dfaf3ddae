// The C++ side of every exception: a claimed NMI returns, a fault a test expected is recorded
// and resumed (fault_recovery.h); anything else goes to the kernel's handler (exception.h).
#include "kernel/arch/x86_64/exception.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/nmi.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/vectors.h"

namespace arch {
namespace {

NmiHook g_nmi_hook = nullptr;  // accessed with atomic builtins (set once, read in NMI context)

UnhandledExceptionHandler g_unhandled = nullptr;  // atomic builtins, as g_nmi_hook
PageFaultHandler g_page_fault = nullptr;          // atomic builtins, as g_nmi_hook
UserExceptionHandler g_user_exception = nullptr;  // atomic builtins, as g_nmi_hook

}  // namespace

void set_unhandled_exception_handler(UnhandledExceptionHandler handler) {
  __atomic_store_n(&g_unhandled, handler, __ATOMIC_RELEASE);
}

void set_user_fault_handlers(PageFaultHandler page_fault, UserExceptionHandler user_exception) {
  __atomic_store_n(&g_page_fault, page_fault, __ATOMIC_RELEASE);
  __atomic_store_n(&g_user_exception, user_exception, __ATOMIC_RELEASE);
}

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
  const bool user = arch::from_user(*frame);
  if (frame->vector == static_cast<std::uint64_t>(arch::Vector::kPageFault) &&
      (user || arch::in_user_copy(frame->rip))) {
    const arch::PageFaultHandler pf = __atomic_load_n(&arch::g_page_fault, __ATOMIC_ACQUIRE);
    if (pf != nullptr && pf(*frame, cr2)) return;
  }
  if (user) {
    const arch::UserExceptionHandler ue =
        __atomic_load_n(&arch::g_user_exception, __ATOMIC_ACQUIRE);
    if (ue != nullptr) {
      ue(*frame, cr2);
      return;
    }
  }
  if (arch::try_user_copy_fixup(*frame)) return;
  const arch::UnhandledExceptionHandler handler =
      __atomic_load_n(&arch::g_unhandled, __ATOMIC_ACQUIRE);
  if (handler != nullptr) handler(*frame, cr2);
  arch::halt_forever();
}
