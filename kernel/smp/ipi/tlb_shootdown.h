// TLB shootdown: after a CPU changed or removed a mapping and flushed its own TLB, make every
// other CPU that may cache the old translation flush it too, and return only when all have.
// One request per target for a whole range (one IPI, or none when its queue is already busy);
// above kFullFlushPages pages the targets drop their whole TLB instead.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace smp {

inline constexpr std::uint64_t kFullFlushPages = 32;

// The CPUs that may hold translations of one address space: a CPU is added when it loads the
// space (or, for the kernel space, comes online) and stays until it flushes everything of it.
// Lock-free (one atomic word per 64 CPUs) so the context switch can update it cheaply.
class TlbCpuSet {
 public:
  void add(platform::CpuNumber cpu);
  void remove(platform::CpuNumber cpu);
  CpuSet snapshot() const;

 private:
  static constexpr std::uint32_t kWords = kMaxCpus / 64;
  std::atomic<std::uint64_t> words_[kWords] = {};
};

// What to flush: [virt, virt + size) (4 KiB pages), or everything when `all`.
struct FlushRange {
  std::uint64_t virt = 0;
  std::uint64_t size = 0;
  bool all = false;
};

// Flushes `range` on every CPU of `space` but the caller (the caller flushes its own TLB;
// the range must be unmapped or changed already). Returns once every target has flushed, or
// reports the CPUs that had not and returns false after `timeout_ns`. Not from interrupt
// context; takes the ipi-queue locks (rank 50), so the caller may hold only locks below 50 or
// none (and no mm IrqSpinLock: its spin does not serve requests).
[[nodiscard]] bool tlb_shootdown(const TlbCpuSet& space, FlushRange range,
                                 std::uint64_t timeout_ns = 1'000'000'000);

// The kernel address space: every online CPU. A no-op until the call service runs.
TlbCpuSet& kernel_tlb_cpus();
// For mm::kernel_unmap / kernel_protect after their local flush; panics on timeout (a stale
// kernel translation on another CPU is a use-after-free waiting to happen).
void kernel_tlb_shootdown(std::uint64_t virt, std::uint64_t size);

// Shootdowns served by `cpu` (full flushes counted separately).
struct ShootdownStats {
  std::uint64_t page_flushes;
  std::uint64_t full_flushes;
};
ShootdownStats shootdown_stats(platform::CpuNumber cpu);

}  // namespace smp
