// In-kernel allocation stress of the heap on every online CPU: each CPU allocates mixed sizes
// (small objects of every class and large blocks) for a bounded time, frees most of them itself
// and hands the rest to other CPUs to free, so every CPU's magazines take objects another CPU
// allocated. Afterwards, with the caches drained, every heap counter and the free-frame count
// must be back where they started. The APs run their share from the call service (interrupts
// off: this also allocates in interrupt context), the boot CPU from the test.
#include <atomic>
#include <new>

#include "kernel/console/log.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/ktest/ktest.h"
#include "kernel/mm/kernel_heap.h"
#include "kernel/mm/mm.h"
#include "kernel/time/clock.h"

namespace {

constexpr std::uint32_t kMax = 8;                       // CPUs the stress tracks (QEMU cases: 1-4)
constexpr std::uint64_t kStressNs = 300'000'000;        // each CPU's allocation loop
constexpr std::uint64_t kFinishNs = 3'000'000'000;      // then every CPU must be done within this
constexpr std::uint32_t kSlots = 32;                    // mailbox slots per (receiver, sender)
constexpr std::uint32_t kHeld = 48;                     // objects a CPU keeps at once

// Object layout while held: word 0 = size, last byte = pattern derived from the size.
std::uint8_t pattern(std::size_t size) { return static_cast<std::uint8_t>(size * 7 + 1); }

std::atomic<void*> g_mail[kMax][kMax][kSlots];  // [receiver][sender][slot]
std::atomic<bool> g_looping_done[kMax];         // the CPU left its allocation loop
std::atomic<bool> g_runs[kMax];                 // this CPU takes part (online and tracked)
std::atomic<bool> g_finished[kMax];             // ... and freed everything it was sent
std::atomic<std::uint64_t> g_ops[kMax];
std::atomic<std::uint64_t> g_sent[kMax];
std::atomic<std::uint64_t> g_received[kMax];
std::atomic<std::uint64_t> g_bad[kMax];        // null allocations and damaged objects
std::atomic<std::uint32_t> g_cpus{0};

std::uint32_t tracked() {
  const std::uint32_t n = platform::cpu_count();
  return n < kMax ? n : kMax;
}

std::uint64_t next(std::uint64_t& s) { return s = s * 6364136223846793005ull + 1442695040888963407ull; }

// Frees `p` after checking the marks its allocator left.
void release(void* p, std::uint32_t self) {
  auto* bytes = static_cast<std::uint8_t*>(p);
  const std::size_t size = *static_cast<std::uint64_t*>(p);
  if (size < 16 || size > (64u << 10) || bytes[size - 1] != pattern(size)) {
    g_bad[self].fetch_add(1, std::memory_order_relaxed);
    return;  // damaged: leak it rather than free a bad size; the counters will then say so
  }
  ::operator delete(p, size);
}

void take_mail(std::uint32_t self, std::uint32_t n) {
  for (std::uint32_t s = 0; s < n; ++s) {
    for (auto& slot : g_mail[self][s]) {
      // Acquire pairs with the sender's release: the object's contents are visible.
      if (void* p = slot.exchange(nullptr, std::memory_order_acquire)) {
        g_received[self].fetch_add(1, std::memory_order_relaxed);
        release(p, self);
      }
    }
  }
}

bool send(std::uint32_t self, std::uint32_t to, void* p) {
  for (auto& slot : g_mail[to][self]) {
    void* expected = nullptr;
    if (slot.compare_exchange_strong(expected, p, std::memory_order_release,
                                     std::memory_order_relaxed)) {
      g_sent[self].fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;  // the receiver is behind: free it here instead
}

void stress_run() {
  const std::uint32_t self = platform::to_index(platform::current_cpu());
  const std::uint32_t n = g_cpus.load(std::memory_order_acquire);
  if (self >= n) return;
  std::uint64_t seed = 0x9e3779b97f4a7c15ull * (self + 1);
  void* held[kHeld] = {};
  const std::uint64_t deadline = ktime::now_ns() + kStressNs;
  std::uint64_t ops = 0;
  while (ktime::now_ns() < deadline) {
    const std::uint64_t r = next(seed);
    // One in eight large (2049..20480 bytes), the rest spread over every small class.
    const std::size_t size = (r >> 61) == 0 ? 2049 + (r >> 20) % (18 << 10) : 16 + (r >> 20) % 2033;
    void* p = ::operator new(size, std::nothrow);
    if (p == nullptr) {
      g_bad[self].fetch_add(1, std::memory_order_relaxed);
      break;
    }
    *static_cast<std::uint64_t*>(p) = size;
    static_cast<std::uint8_t*>(p)[size - 1] = pattern(size);
    ++ops;
    const std::uint32_t to = static_cast<std::uint32_t>((r >> 8) % n);
    // Only to CPUs that take part: a listed CPU that never came online (a failed start, a fake
    // APIC ID) would never empty its mailbox.
    if ((r & 3) == 0 && to != self && g_runs[to].load(std::memory_order_relaxed) &&
        send(self, to, p)) {
      // handed over
    } else {
      const std::uint32_t k = static_cast<std::uint32_t>((r >> 32) % kHeld);
      if (held[k] != nullptr) release(held[k], self);
      held[k] = p;
    }
    if ((ops & 3) == 0) take_mail(self, n);
  }
  for (void*& p : held) {
    if (p != nullptr) release(p, self);
    p = nullptr;
  }
  g_ops[self].store(ops, std::memory_order_relaxed);
  g_looping_done[self].store(true, std::memory_order_release);
  // Others may still send until they leave their loops: keep freeing until all have.
  const std::uint64_t finish_by = ktime::now_ns() + kFinishNs;
  for (;;) {
    take_mail(self, n);
    bool all = true;
    for (std::uint32_t c = 0; c < n; ++c) all = all && g_looping_done[c].load(std::memory_order_acquire);
    if (all || ktime::now_ns() > finish_by) break;
  }
  take_mail(self, n);  // nothing can arrive after every sender left its loop
  g_finished[self].store(true, std::memory_order_release);
}

void stress_worker(const smp::CallArgs&) { stress_run(); }

}  // namespace

KTEST(mm_heap_stress_every_cpu) {
  mm::Heap* heap = mm::kernel_heap();
  KCHECK(heap != nullptr);
  const std::uint32_t n = tracked();
  const smp::CpuSet online = kcpus::online_cpus();
  for (std::uint32_t c = 0; c < kMax; ++c) {
    for (auto& row : g_mail[c])
      for (auto& slot : row) slot.store(nullptr);
    // A CPU that is not online (or not tracked) counts as done from the start.
    const bool runs = c < n && online.contains(platform::CpuNumber{c});
    g_runs[c].store(runs);
    g_looping_done[c].store(!runs);
    g_finished[c].store(!runs);
    g_ops[c].store(0);
    g_sent[c].store(0);
    g_received[c].store(0);
    g_bad[c].store(0);
  }
  g_cpus.store(n, std::memory_order_release);
  mm::drain_kernel_heap();
  const mm::HeapStats before = heap->stats();
  const std::uint64_t free_before = mm::stats().free_bytes;

  if (n > 1) KCHECK(kcpus::call_on_all_but_self(stress_worker, {}, smp::CallMode::kAsync));
  stress_run();
  const std::uint64_t deadline = ktime::now_ns() + kStressNs + 2 * kFinishNs;
  bool all = false;
  while (!all && ktime::now_ns() < deadline) {
    all = true;
    for (std::uint32_t c = 0; c < n; ++c) all = all && g_finished[c].load(std::memory_order_acquire);
    kcpus::serve_call_queue();  // interrupts are off here
  }
  KCHECK(all);

  std::uint64_t ops = 0, sent = 0, received = 0, bad = 0;
  for (std::uint32_t c = 0; c < n; ++c) {
    ops += g_ops[c].load();
    sent += g_sent[c].load();
    received += g_received[c].load();
    bad += g_bad[c].load();
  }
  mm::drain_kernel_heap();
  const mm::HeapStats after = heap->stats();
  const std::uint64_t free_after = mm::stats().free_bytes;
  klog::info("heap stress: {} CPUs, {} allocations, {} freed on another CPU, {} drains, "
             "large table {} -> {} pages",
             n, ops, received, after.drains - before.drains, before.table_pages, after.table_pages);
  KCHECK_EQ(bad, 0u);
  KCHECK_EQ(sent, received);
  KCHECK(ops > 0);
  if (n > 1) KCHECK(received > 0);
  KCHECK_EQ(after.small_in_use, before.small_in_use);
  KCHECK_EQ(after.large_in_use, before.large_in_use);
  KCHECK_EQ(after.large_pages, before.large_pages);
  KCHECK_EQ(after.slab_pages, before.slab_pages);
  KCHECK_EQ(after.cached_objects, 0u);
  KCHECK_EQ(after.magazines, 0u);
  KCHECK_EQ(after.faults, before.faults);
  // The large-block table never shrinks: pages it grew by are the only ones not back.
  KCHECK_EQ(free_after + (after.table_pages - before.table_pages) * 4096, free_before);
}
