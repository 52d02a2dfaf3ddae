// Descriptor tables, per-CPU data and the platform contract on the boot CPU.
#include "kernel/arch/x86_64/boot_cpu.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/vectors.h"
#include "kernel/ktest/ktest.h"
#include "smp/irq_guard.h"
#include "smp/platform/platform.h"

KTEST(arch_gdt_loaded_with_tss) {
  const arch::TableRegister gdtr = arch::read_gdtr();
  const arch::CpuLocal& local = arch::boot_cpu_local();
  KCHECK_EQ(gdtr.limit, arch::kGdtEntries * 8 - 1);
  KCHECK_EQ(gdtr.base, reinterpret_cast<std::uint64_t>(local.descriptors.gdt));
  KCHECK_EQ(arch::read_task_register(), static_cast<std::uint16_t>(arch::Selector::kTss));
  std::uint16_t cs;
  asm volatile("mov %%cs, %0" : "=r"(cs));
  KCHECK_EQ(cs, static_cast<std::uint16_t>(arch::Selector::kKernelCode));
}

KTEST(arch_idt_loaded_with_ist_gates) {
  const arch::TableRegister idtr = arch::read_idtr();
  KCHECK_EQ(idtr.limit, 256 * 16 - 1);
  KCHECK_EQ(arch::idt_gate_ist(8), static_cast<std::uint8_t>(arch::Ist::kDoubleFault));
  KCHECK_EQ(arch::idt_gate_ist(2), static_cast<std::uint8_t>(arch::Ist::kNmi));
  KCHECK_EQ(arch::idt_gate_ist(18), static_cast<std::uint8_t>(arch::Ist::kMachineCheck));
  KCHECK_EQ(arch::idt_gate_ist(14), 0);
}

KTEST(arch_tss_ist_stacks_distinct_and_aligned) {
  const arch::Tss& tss = arch::boot_cpu_local().descriptors.tss;
  for (unsigned i = 0; i < arch::kIstStackCount; ++i) {
    KCHECK(tss.ist[i] != 0);
    KCHECK_EQ(tss.ist[i] % 16, 0u);
    for (unsigned j = 0; j < i; ++j) {
      const std::uint64_t gap = tss.ist[i] > tss.ist[j] ? tss.ist[i] - tss.ist[j]
                                                        : tss.ist[j] - tss.ist[i];
      KCHECK(gap >= arch::kIstStackSize);
    }
  }
  KCHECK_EQ(tss.io_map_base, sizeof(arch::Tss));
}

KTEST(arch_stack_guard_gaps_untouched) { KCHECK(arch::boot_stack_guards_intact()); }

KTEST(arch_percpu_self_pointer_at_gs0) {
  KCHECK_EQ(arch::current_cpu_local(), &arch::boot_cpu_local());
  KCHECK_EQ(arch::rdmsr(arch::Msr::kGsBase), reinterpret_cast<std::uint64_t>(&arch::boot_cpu_local()));
  KCHECK_EQ(platform::to_index(platform::current_cpu()), 0u);
  KCHECK(platform::cpu_count() >= 1u);
}

KTEST(arch_irq_save_restore_nests) {
  // Interrupts are off during boot: enable them around the check is not possible without
  // handlers for device IRQs, so check the nesting on the disabled state and RFLAGS.IF.
  KCHECK(!platform::irqs_enabled());
  const platform::IrqState outer = platform::irq_save_disable();
  KCHECK(!outer.enabled);
  {
    smp::IrqGuard guard;
    KCHECK(!platform::irqs_enabled());
  }
  platform::irq_restore(outer);
  KCHECK(!platform::irqs_enabled());
  KCHECK_EQ(arch::read_rflags() & arch::kRflagsIf, 0u);
}

KTEST(arch_cycles_advance_at_calibrated_rate) {
  const std::uint64_t hz = platform::cycles_per_second();
  KCHECK(hz >= 100'000'000);
  KCHECK(hz <= 20'000'000'000);
  const std::uint64_t a = platform::cycles();
  for (int i = 0; i < 1000; ++i) platform::cpu_relax();
  const std::uint64_t b = platform::cycles();
  KCHECK(b > a);
}

namespace {
bool same(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
}  // namespace

KTEST(arch_vector_names) {
  KCHECK(same(arch::vector_mnemonic(14), "#PF"));
  KCHECK(same(arch::vector_name(14), "Page Fault"));
  KCHECK(same(arch::vector_mnemonic(6), "#UD"));
  KCHECK(same(arch::vector_name(8), "Double Fault"));
  KCHECK(same(arch::vector_name(99), "unknown vector"));
}
