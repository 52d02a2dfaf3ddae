// Expected faults: run a function so that one fault of a given vector is recorded instead of
// reported. The exception handler sees the armed per-CPU FaultRecovery, fills in what
// happened and makes iretq resume in call_with_fault_recovery(), which then returns true.
// For tests (kernel/ktest/expect_fault.h) and, later, for probing memory that may fault.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace arch {

struct FaultRecovery {
  std::uint64_t resume_rsp;  // set by the assembly; offset 0 (fault_recovery.S)
  std::uint64_t expected_vector;
  // Filled in by the exception handler when the expected fault happened.
  std::uint64_t vector;
  std::uint64_t error_code;
  std::uint64_t cr2;
  std::uint64_t rip;
};

// Calls fn(arg) with `recovery` armed on this CPU (interrupts off for the duration, so the
// CPU cannot change under it). Returns true if fn faulted with recovery.expected_vector, in
// which case fn was abandoned at the faulting instruction (no destructors ran in it).
bool call_with_fault_recovery(FaultRecovery& recovery, void (*fn)(void*), void* arg);

// Called by the exception handler: if this CPU has an armed recovery for frame.vector from
// kernel mode, records the fault, disarms, points the frame at the resume path and returns
// true (the handler then simply returns).
bool try_recover_from_fault(InterruptFrame& frame);

}  // namespace arch
