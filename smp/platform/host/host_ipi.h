// Host IPI delivery and TLB stand-in (the cross-CPU part of smp/platform/platform.h on the host):
// an IPI to a host CPU sets a pending bit of that CPU number; the thread playing that CPU runs
// the handler when it polls with interrupts enabled (poll_interrupts(), which every spin-wait
// hook with interrupts on also calls). A CPU spinning with interrupts off takes no IPI, as on
// the machine: its spin-wait service (host::set_spin_wait_service) serves the requests instead.
// flush_tlb_local* record what each CPU flushed, for tests to check.
#pragma once

#include <cstdint>
#include <vector>

#include "smp/platform/platform.h"

namespace platform::host {

// What runs on the target for an IPI of one kind (the kernel's vector handler). Installed by
// the test that owns the service, before any IPI of that kind is sent; nullptr removes it
// (pending IPIs of that kind are then dropped when polled).
using IpiHandler = void (*)(void* context);
void set_ipi_handler(IpiKind kind, IpiHandler handler, void* context);

// The calling thread's CPU takes its pending IPIs: for each pending kind, in IpiKind order, it
// runs the handler between irq_enter() and irq_exit(). Does nothing with interrupts disabled
// (they stay pending). Returns how many handlers ran.
std::uint32_t poll_interrupts();
// Whether `cpu` has an IPI pending (for an explorer deciding who can make progress).
bool ipi_pending(CpuNumber cpu);
// IPIs sent to `cpu` since the last reset_ipis(), of every kind.
std::uint64_t ipis_sent(CpuNumber cpu);
// Drops every pending IPI and zeroes the counts. No CPU thread may be running.
void reset_ipis();

// One local TLB flush as a CPU made it.
struct TlbFlush {
  std::uint64_t virt = 0;
  std::uint64_t pages = 0;
  bool all = false;
};
// The flushes `cpu` made since the last clear_tlb_flushes(), oldest first.
std::vector<TlbFlush> tlb_flushes(CpuNumber cpu);
// Whether `cpu` made a flush since the last clear that drops the page holding `virt`.
bool tlb_flushed(CpuNumber cpu, std::uint64_t virt);
void clear_tlb_flushes();

}  // namespace platform::host
