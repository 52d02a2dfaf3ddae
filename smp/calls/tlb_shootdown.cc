#include "smp/calls/tlb_shootdown.h"

namespace smp {
namespace {

// The request each target runs: args.ptr is the service, args.a the start, args.b the size
// with bit 0 meaning "everything" (sizes are page multiples, so bit 0 is free).
void flush_request(const CallArgs& args) {
  auto* calls = static_cast<CallService*>(args.ptr);
  const platform::CpuNumber self = platform::current_cpu();  // interrupts are off
  CpuCalls* counters =
      platform::to_index(self) < calls->cpu_count() ? &calls->cpu(self) : nullptr;
  flush_tlb_range_local(FlushRange{args.a, args.b & ~1ull, (args.b & 1) != 0}, counters);
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

void flush_tlb_range_local(const FlushRange& range, CpuCalls* counters) {
  const std::uint64_t pages = (range.size + kTlbPageSize - 1) / kTlbPageSize;
  if (range.all || pages > kFullFlushPages) {
    platform::flush_tlb_local_all();
    if (counters != nullptr) counters->tlb_full_flushes.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  platform::flush_tlb_local(range.virt, pages);
  if (counters != nullptr) {
    counters->tlb_page_flushes.fetch_add(pages, std::memory_order_relaxed);
  }
}

CallOutcome tlb_shootdown(CallService& calls, const TlbCpuSet& space, FlushRange range,
                          std::uint64_t timeout_ns) {
  const CallArgs args{&calls, range.virt, (range.size & ~1ull) | (range.all ? 1 : 0)};
  // One call: CallService::call decides which CPU is the caller's, flushes it (when it is in
  // the space) and queues the others with preemption off throughout, so no CPU the caller
  // passes through between the mapping change and here is left out.
  return calls.call(space.snapshot(), flush_request, args, CallMode::kSync, timeout_ns,
                    platform::IpiKind::kTlbShootdown);
}

ShootdownStats shootdown_stats(const CallService& calls, platform::CpuNumber cpu) {
  if (platform::to_index(cpu) >= calls.cpu_count()) return {0, 0};
  const CpuCalls& c = calls.cpu(cpu);
  return {c.tlb_page_flushes.load(std::memory_order_relaxed),
          c.tlb_full_flushes.load(std::memory_order_relaxed)};
}

}  // namespace smp
