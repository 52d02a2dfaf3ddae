// expect_fault(vector, fn): runs fn and reports whether it took the exception `vector`,
// with the error code and faulting address, instead of panicking (arch/x86_64/
// fault_recovery.h). fn is abandoned at the faulting instruction: it must not hold locks or
// own resources there.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernel/arch/x86_64/fault_recovery.h"
#include "kernel/arch/x86_64/vectors.h"

namespace ktest {

struct FaultRecord {
  bool faulted = false;
  std::uint64_t vector = 0;
  std::uint64_t error_code = 0;
  std::uint64_t address = 0;  // CR2 at the fault (meaningful for #PF)
  std::uint64_t rip = 0;      // the faulting instruction
};

// fn is taken by value so the trampoline below can call it through a plain void*.
template <typename Fn>
FaultRecord expect_fault(arch::Vector vector, Fn fn) {
  using F = Fn;
  arch::FaultRecovery recovery{};
  recovery.expected_vector = static_cast<std::uint64_t>(vector);
  const bool faulted = arch::call_with_fault_recovery(
      recovery, [](void* p) { (*static_cast<F*>(p))(); }, &fn);
  FaultRecord r;
  r.faulted = faulted;
  if (faulted) {
    r.vector = recovery.vector;
    r.error_code = recovery.error_code;
    r.address = recovery.cr2;
    r.rip = recovery.rip;
  }
  return r;
}

}  // namespace ktest
