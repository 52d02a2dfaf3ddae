#include "kernel/cpus/ipi/tlb_shootdown.h"

#include "kernel/core/panic.h"
#include "kernel/cpus/ipi/call_function.h"

namespace kcpus {
namespace {

smp::TlbCpuSet g_kernel_cpus;

// The service is not up: only this CPU can hold a translation the caller changed.
bool flush_here_only(const smp::TlbCpuSet& space, smp::FlushRange range) {
  platform::preempt_disable();
  if (space.snapshot().contains(platform::current_cpu())) smp::flush_tlb_range_local(range, nullptr);
  platform::preempt_enable();
  return true;
}

}  // namespace

bool tlb_shootdown(const smp::TlbCpuSet& space, smp::FlushRange range, std::uint64_t timeout_ns) {
  smp::CallService* s = call_service();
  if (s == nullptr) return flush_here_only(space, range);
  return report_call_outcome(smp::tlb_shootdown(*s, space, range, timeout_ns), "tlb shootdown",
                             timeout_ns);
}

smp::TlbCpuSet& kernel_tlb_cpus() { return g_kernel_cpus; }

void kernel_tlb_shootdown(std::uint64_t virt, std::uint64_t size) {
  const smp::FlushRange range{virt, size, false};
  if (!call_service_ready()) {
    // No other CPU can be asked to flush before the service starts (the APs online by then
    // join the kernel set at that point); flush this one, which the caller's change is on.
    platform::preempt_disable();
    smp::flush_tlb_range_local(range, nullptr);
    platform::preempt_enable();
    return;
  }
  if (!tlb_shootdown(g_kernel_cpus, range)) {
    panic("tlb: kernel shootdown of {:#x}+{:#x} did not complete", virt, size);
  }
}

smp::ShootdownStats shootdown_stats(platform::CpuNumber cpu) {
  smp::CallService* s = call_service();
  return s != nullptr ? shootdown_stats(*s, cpu) : smp::ShootdownStats{0, 0};
}

}  // namespace kcpus
