// What the boot CPU prepares for every AP and the AP reads on its way in (bringup.cc writes it
// before the first INIT; ap_entry.cc reads it). Internal to kernel/cpus.
#pragma once

#include <atomic>

#include "kernel/arch/x86_64/boot_cpu.h"
#include "kernel/cpus/cpu_features.h"

namespace kcpus {

struct ApStartState {
  arch::ControlRegisters control;  // the boot CPU's CR0/CR4/EFER
  CpuFeatures features;            // the boot CPU's CPUID feature words
  // Set (release) once the boot CPU has finished the bring-up: online APs leave their wait.
  std::atomic<bool> released{false};
};

ApStartState& ap_start_state();

// The kernel entry the trampoline jumps to (ap_entry.cc): rdi = the AP's arch::CpuLocal.
extern "C" [[noreturn]] void smp_ap_entry(void* local);

}  // namespace kcpus
