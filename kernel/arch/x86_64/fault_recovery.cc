#include "kernel/arch/x86_64/fault_recovery.h"

#include <cstddef>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/percpu.h"

extern "C" int arch_call_recoverable(arch::FaultRecovery* recovery, void (*fn)(void*), void* arg);
extern "C" char arch_fault_resume[];

namespace arch {

static_assert(offsetof(FaultRecovery, resume_rsp) == 0);

bool call_with_fault_recovery(FaultRecovery& recovery, void (*fn)(void*), void* arg) {
  const std::uint64_t flags = read_rflags();
  cli();
  recovery.vector = ~0ull;
  set_current_fault_recovery(&recovery);
  const int faulted = arch_call_recoverable(&recovery, fn, arg);
  set_current_fault_recovery(nullptr);  // also when fn returned without faulting
  if (flags & kRflagsIf) sti();
  return faulted != 0;
}

bool try_recover_from_fault(InterruptFrame& frame) {
  FaultRecovery* r = current_fault_recovery();
  if (r == nullptr || frame.vector != r->expected_vector) return false;
  // Only kernel-mode faults: the resume point is kernel code on a kernel stack.
  if ((frame.cs & ~3ull) != static_cast<std::uint64_t>(Selector::kKernelCode)) return false;
  r->vector = frame.vector;
  r->error_code = frame.error_code;
  r->cr2 = read_cr2();
  r->rip = frame.rip;
  // One shot: a second fault while resuming is a real one.
  set_current_fault_recovery(nullptr);
  frame.rip = reinterpret_cast<std::uint64_t>(arch_fault_resume);
  frame.rsp = r->resume_rsp;
  return true;
}

}  // namespace arch
