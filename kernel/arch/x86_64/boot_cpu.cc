#include "kernel/arch/x86_64/boot_cpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/percpu.h"

// Defined in entry.S.
extern "C" std::uint8_t boot_stack_guard[4096];

namespace arch {
namespace {

constexpr std::uint64_t kGuardSize = 4096;

// An IST stack with an unused gap below it. The gap is mapped (the kernel cannot unmap pages
// of its own image before it has page-table helpers for that), so it does not trap an
// overflow; boot_stack_guards_intact() detects one after the fact. CPUs brought up later get
// stacks from the memory manager with real unmapped guard pages.
struct alignas(4096) GuardedStack {
  std::uint8_t guard[kGuardSize];
  std::uint8_t stack[kIstStackSize];
};

constinit CpuLocal g_boot_cpu_local{};
GuardedStack g_boot_ist_stacks[kIstStackCount];

bool all_zero(const std::uint8_t* p, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

CpuLocal& boot_cpu_local() { return g_boot_cpu_local; }

void install_cpu_local(CpuLocal& local) {
  local.self = &local;
  wrmsr(Msr::kGsBase, reinterpret_cast<std::uint64_t>(&local));
  // KERNEL_GS_BASE is what swapgs would swap in: zero until user mode exists.
  wrmsr(Msr::kKernelGsBase, 0);
}

void init_boot_cpu_local() {
  g_boot_cpu_local.cpu_number = 0;
  // Initial APIC ID from CPUID leaf 1 (EBX[31:24]); the x2APIC ID replaces it later.
  g_boot_cpu_local.apic_id = cpuid(1).ebx >> 24;
  install_cpu_local(g_boot_cpu_local);
}

void init_boot_cpu_tables() {
  std::uint64_t tops[kIstStackCount];
  for (unsigned i = 0; i < kIstStackCount; ++i) {
    // The stack grows down from its end; the end is 16-byte aligned as the CPU wants.
    tops[i] = reinterpret_cast<std::uint64_t>(g_boot_ist_stacks[i].stack) + kIstStackSize;
  }
  CpuDescriptors& d = g_boot_cpu_local.descriptors;
  build_descriptors(d, tops);
  load_descriptors(d);
  load_idt();
}

bool boot_stack_guards_intact() {
  for (const GuardedStack& s : g_boot_ist_stacks) {
    if (!all_zero(s.guard, kGuardSize)) return false;
  }
  return all_zero(boot_stack_guard, kGuardSize);
}

}  // namespace arch
