// TLB shootdown over the call service: after a CPU changed or removed a mapping, make every CPU
// that may cache the old translation flush it, the caller's own included, and return only when
// all have. One request per target for a whole range (one IPI, or none when its queue is
// already busy); above kFullFlushPages pages a CPU drops its whole TLB instead.
//
// The caller does not flush its own TLB first: tlb_shootdown decides "which CPU am I", flushes
// that CPU and sends to the others with preemption off throughout. A caller that flushed, was
// preempted and migrated, then excluded "self" would leave the CPU it moved to unflushed
// (issue 10; tests/host/calls/tlb_shootdown_test.cc, and under the interleaving explorer
// tests/host/explore/calls_explore_test.cc).
#pragma once

#include <cstdint>

#include "smp/atomic.h"
#include "smp/calls/call_service.h"
#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace smp {

inline constexpr std::uint64_t kFullFlushPages = 32;
inline constexpr std::uint64_t kTlbPageSize = 4096;

// The CPUs that may hold translations of one address space: a CPU is added when it loads the
// space (or, for the kernel space, comes online) and stays until it flushes everything of it.
// Lock-free (one atomic word per 64 CPUs) so the context switch can update it cheaply; the
// words are smp::Atomic, so a CPU joining the space races a shootdown's snapshot under the
// explorer.
class TlbCpuSet {
 public:
  void add(platform::CpuNumber cpu);
  void remove(platform::CpuNumber cpu);
  CpuSet snapshot() const;

 private:
  static constexpr std::uint32_t kWords = kMaxCpus / 64;
  Atomic<std::uint64_t> words_[kWords] = {};
};

// What to flush: [virt, virt + size) (4 KiB pages, size a multiple of the page size), or
// everything when `all`.
struct FlushRange {
  std::uint64_t virt = 0;
  std::uint64_t size = 0;
  bool all = false;
};

// Flushes `range` from the current CPU's TLB (page by page, or all of it above kFullFlushPages
// pages) and counts it in `counters` when not nullptr. Interrupts or preemption off.
void flush_tlb_range_local(const FlushRange& range, CpuCalls* counters);

// Flushes `range` on every CPU of `space`: the caller's CPU directly when it is in the space,
// the others through `calls` (synchronously, the kTlbShootdown IPI). The range must be unmapped
// or changed already. Returns what the call did (CallOutcome::ok() once every target flushed).
// Not from interrupt context; takes the ipi-queue locks (rank 50), so the caller may hold only
// locks below 50 or none (and no lock whose spin does not serve requests).
[[nodiscard]] CallOutcome tlb_shootdown(CallService& calls, const TlbCpuSet& space,
                                        FlushRange range,
                                        std::uint64_t timeout_ns = kDefaultCallTimeoutNs);

// Shootdowns served by `cpu` (full flushes counted separately).
struct ShootdownStats {
  std::uint64_t page_flushes;
  std::uint64_t full_flushes;
};
ShootdownStats shootdown_stats(const CallService& calls, platform::CpuNumber cpu);

}  // namespace smp
