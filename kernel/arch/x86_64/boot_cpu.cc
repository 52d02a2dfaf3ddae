#include "kernel/arch/x86_64/boot_cpu.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/mmu/mmu.h"

// Defined in entry.S.
extern "C" std::uint8_t boot_stack_guard[4096];
extern "C" std::uint8_t boot_stack_top[];

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
  g_boot_cpu_local.cpu_number = klib::CpuNumber{0};
  // Initial APIC ID from CPUID leaf 1 (EBX[31:24]); the x2APIC ID replaces it later.
  g_boot_cpu_local.apic_id = klib::ApicId{cpuid(1).ebx >> 24};
  g_boot_cpu_local.stage = CpuStage::kRunning;
  g_boot_cpu_local.kernel_stack_top = reinterpret_cast<std::uint64_t>(boot_stack_top);
  install_cpu_local(g_boot_cpu_local);
}

const char* cpu_stage_name(CpuStage stage) {
  switch (stage) {
    case CpuStage::kNone: return "not started";
    case CpuStage::kTrampoline16: return "trampoline16";
    case CpuStage::kProtected32: return "protected32";
    case CpuStage::kLong64: return "long64";
    case CpuStage::kKernelEntry: return "kernel-entry";
    case CpuStage::kFeaturesChecked: return "features";
    case CpuStage::kDescriptors: return "gdt-idt";
    case CpuStage::kApic: return "apic";
    case CpuStage::kTimer: return "timer";
    case CpuStage::kOnline: return "online";
    case CpuStage::kRunning: return "running";
    case CpuStage::kFeatureMismatch: return "feature-mismatch";
    case CpuStage::kApicIdMismatch: return "apic-id-mismatch";
    case CpuStage::kAbandoned: return "abandoned";
  }
  return "?";
}

ControlRegisters read_control_registers() {
  return {mm::arch::read_cr0(), mm::arch::read_cr4(), mm::arch::read_efer()};
}

void init_secondary_cpu(CpuLocal& local, const ControlRegisters& bsp) {
  // EFER first (LME/NXE are already set by the trampoline; this adds e.g. SCE), then CR4. The
  // CR4 write changes PGE, which flushes every TLB entry, global ones included (SDM vol. 3A
  // 4.10.4.1); the CR3 reload covers a BSP without PGE. Either way the identity translation of
  // the trampoline page is gone from this CPU before the boot CPU unmaps it.
  constexpr std::uint64_t kEferLma = 1ull << 10;  // read-only status bit
  mm::arch::write_efer((bsp.efer & ~kEferLma) | (mm::arch::read_efer() & kEferLma));
  mm::arch::write_cr4(bsp.cr4);
  mm::arch::write_cr3(read_cr3());
  install_cpu_local(local);
  build_descriptors(local.descriptors, local.ist_tops);
  load_descriptors(local.descriptors);
  load_idt();
}

void init_boot_cpu_tables() {
  std::uint64_t tops[kIstStackCount];
  for (unsigned i = 0; i < kIstStackCount; ++i) {
    // The stack grows down from its end; the end is 16-byte aligned as the CPU wants.
    tops[i] = reinterpret_cast<std::uint64_t>(g_boot_ist_stacks[i].stack) + kIstStackSize;
  }
  for (unsigned i = 0; i < kIstStackCount; ++i) g_boot_cpu_local.ist_tops[i] = tops[i];
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
