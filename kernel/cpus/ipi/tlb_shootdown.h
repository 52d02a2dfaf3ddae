// The kernel's TLB shootdown: the protocol (smp::TlbCpuSet, smp::FlushRange, smp::tlb_shootdown over a
// smp::CallService) is in smp/calls/tlb_shootdown.h; this glue runs it on the kernel's call service,
// keeps the kernel address space's CPU set, and reports failures.
//
// Callers change the mapping and call the shootdown without flushing their own TLB first: the
// shootdown flushes the caller's CPU itself, decided with preemption off together with the
// remote set (issue 10: a local flush, a preemption point, then "everyone but me" missed the
// CPU the caller had moved to).
#pragma once

#include <cstdint>

#include "smp/calls/tlb_shootdown.h"
#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace kcpus {

// Flushes `range` on every CPU of `space`, the caller's included when it is in it. Returns
// once every target has flushed, or reports the CPUs that had not and returns false after
// `timeout_ns`. Before the call service is up, flushes the caller's CPU only. Not from
// interrupt context; takes the ipi-queue locks (rank 50), so the caller may hold only locks
// below 50 or none (and no mm IrqSpinLock: its spin does not serve requests).
[[nodiscard]] bool tlb_shootdown(const smp::TlbCpuSet& space, smp::FlushRange range,
                                 std::uint64_t timeout_ns = smp::kDefaultCallTimeoutNs);

// The kernel address space: every online CPU (added by init_cross_cpu_services).
smp::TlbCpuSet& kernel_tlb_cpus();
// For mm::kernel_unmap / kernel_protect after they changed the page tables (no local flush of
// their own): flushes [virt, virt + size) here and on every other CPU; panics on timeout (a
// stale kernel translation on another CPU is a use-after-free waiting to happen). Before the
// call service is up, flushes this CPU only (no other CPU runs kernel code that could hold it).
void kernel_tlb_shootdown(std::uint64_t virt, std::uint64_t size);

// Shootdowns served by `cpu` (full flushes counted separately); zeros before the service.
smp::ShootdownStats shootdown_stats(platform::CpuNumber cpu);

}  // namespace kcpus
