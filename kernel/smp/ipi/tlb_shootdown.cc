#include "kernel/smp/ipi/tlb_shootdown.h"

#include "kernel/boot/boot_info.h"
#include "kernel/core/panic.h"
#include "kernel/mm/arch/x86_64/mmu.h"
#include "kernel/smp/ipi/call_function.h"
#include "kernel/smp/per_cpu.h"

namespace smp {
namespace {

struct Counters {
  std::atomic<std::uint64_t> pages{0};
  std::atomic<std::uint64_t> full{0};
};
PerCpu<Counters> g_counters;
TlbCpuSet g_kernel_cpus;

void flush_local(const FlushRange& r) {
  Counters& c = g_counters.get();  // interrupts off (call service or caller's guard)
  const std::uint64_t pages = (r.size + boot::kPageSize - 1) / boot::kPageSize;
  if (r.all || pages > kFullFlushPages) {
    mm::arch::flush_tlb_all();
    c.full.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  for (std::uint64_t i = 0; i < pages; ++i) mm::arch::invlpg(r.virt + i * boot::kPageSize);
  c.pages.fetch_add(pages, std::memory_order_relaxed);
}

void flush_request(const CallArgs& args) {
  flush_local(FlushRange{args.a, args.b & ~1ull, (args.b & 1) != 0});
}

}  // namespace

void TlbCpuSet::add(platform::CpuNumber cpu) {
  const std::uint32_t i = platform::to_index(cpu);
  // Seq_cst: a CPU that starts using the space must be seen by a shootdown that changes a
  // mapping after it loaded CR3 (store-then-load between the two CPUs).
  if (i < kMaxCpus) words_[i / 64].fetch_or(1ull << (i % 64), std::memory_order_seq_cst);
}

void TlbCpuSet::remove(platform::CpuNumber cpu) {
  const std::uint32_t i = platform::to_index(cpu);
  if (i < kMaxCpus) words_[i / 64].fetch_and(~(1ull << (i % 64)), std::memory_order_seq_cst);
}

CpuSet TlbCpuSet::snapshot() const {
  CpuSet set;
  for (std::uint32_t w = 0; w < kWords; ++w) {
    std::uint64_t bits = words_[w].load(std::memory_order_seq_cst);  // see add()
    while (bits != 0) {
      const int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      set.add(platform::CpuNumber{w * 64 + static_cast<std::uint32_t>(b)});
    }
  }
  return set;
}

bool tlb_shootdown(const TlbCpuSet& space, FlushRange range, std::uint64_t timeout_ns) {
  CpuSet targets = space.snapshot();
  platform::preempt_disable();
  targets.remove(platform::current_cpu());
  bool ok = true;
  if (!targets.empty()) {
    // Size is page-aligned, so bit 0 is free to carry "everything".
    const CallArgs args{nullptr, range.virt, (range.size & ~1ull) | (range.all ? 1 : 0)};
    ok = call_on_cpus_with_vector(targets, flush_request, args, CallMode::kSync, timeout_ns, true);
  }
  platform::preempt_enable();
  return ok;
}

TlbCpuSet& kernel_tlb_cpus() { return g_kernel_cpus; }

void kernel_tlb_shootdown(std::uint64_t virt, std::uint64_t size) {
  if (!call_service_ready()) return;
  if (!tlb_shootdown(g_kernel_cpus, FlushRange{virt, size, false})) {
    panic("tlb: kernel shootdown of {:#x}+{:#x} did not complete", virt, size);
  }
}

ShootdownStats shootdown_stats(platform::CpuNumber cpu) {
  Counters& c = g_counters.on(cpu);
  return {c.pages.load(std::memory_order_relaxed), c.full.load(std::memory_order_relaxed)};
}

}  // namespace smp
