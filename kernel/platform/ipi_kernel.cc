// The kernel implementation of the cross-CPU part of the platform contract
// (smp/platform/platform.h): online CPUs from the bring-up's table, IPIs through the local APIC
// (one vector per IpiKind), and local TLB flushes with INVLPG or a full flush.
#include "kernel/interrupts/local_apic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/mmu/mmu.h"
#include "kernel/cpus/cpus.h"
#include "smp/platform/platform.h"

namespace platform {
namespace {

constexpr std::uint64_t kPageSize = 4096;

arch::Vector vector_of(IpiKind kind) {
  switch (kind) {
    case IpiKind::kCallFunction: return arch::Vector::kCallFunction;
    case IpiKind::kTlbShootdown: return arch::Vector::kTlbShootdown;
    case IpiKind::kReschedule: return arch::Vector::kReschedule;
  }
  return arch::Vector::kCallFunction;
}

}  // namespace

bool cpu_is_online(CpuNumber cpu) { return kcpus::cpu_online(cpu); }

void send_ipi(CpuNumber cpu, IpiKind kind) {
  const arch::CpuLocal* local = kcpus::cpu_local(cpu);
  if (local == nullptr) return;  // beyond cpu_count(): no such CPU
  // kinterrupts::send_ipi keeps the ICR write whole against an interrupt on this CPU that sends its
  // own IPI, and fences an x2APIC write, so the target sees what we wrote before.
  kinterrupts::send_ipi(local->apic_id, vector_of(kind));
}

void flush_tlb_local(std::uint64_t virt, std::uint64_t pages) {
  for (std::uint64_t i = 0; i < pages; ++i) mm::arch::invlpg(virt + i * kPageSize);
}

void flush_tlb_local_all() { mm::arch::flush_tlb_all(); }

}  // namespace platform
