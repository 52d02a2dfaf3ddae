// Host implementation of the cross-CPU part of the platform contract: cpu_is_online, send_ipi (a
// pending bit per CPU number and IPI kind), flush_tlb_local* (recorded per CPU), and the
// host-only controls in host_ipi.h.
#include "smp/platform/host/host_ipi.h"

#include <atomic>
#include <mutex>

#include "smp/cpu_set.h"
#include "smp/platform/host/platform_host.h"

#if defined(PLEIADES_EXPLORE)
#include "smp/platform/host/explorer.h"
#endif

namespace platform {
namespace {

// In the explore variant (docs/explorer.md) every access to a pending word is an interleaving
// point: a send racing the target's poll is an order the explorer varies. A bare explorer
// point, not platform::interleave_point(): that one delivers pending IPIs, and would re-enter
// poll_interrupts() from inside it.
#if defined(PLEIADES_EXPLORE)
inline void ipi_point() { host::explore::point(); }
#else
inline void ipi_point() {}
#endif

constexpr std::uint32_t kCpus = smp::kMaxCpus;
constexpr std::uint64_t kPageSize = 4096;

struct HostCpuIpis {
  std::atomic<std::uint32_t> pending{0};  // bit k: an IPI of IpiKind k is pending
  std::atomic<std::uint64_t> sent{0};
};
HostCpuIpis g_ipis[kCpus];

// Installed by a test's main thread before its CPU threads start; acquire/release keep each
// handler and its context consistent for the pollers.
std::atomic<host::IpiHandler> g_handlers[kIpiKinds] = {};
std::atomic<void*> g_contexts[kIpiKinds] = {};

std::mutex g_flush_mutex;
std::vector<host::TlbFlush> g_flushes[kCpus];  // guarded by g_flush_mutex

void record_flush(const host::TlbFlush& flush) {
  const std::uint32_t cpu = to_index(current_cpu());
  if (cpu >= kCpus) return;
  std::lock_guard<std::mutex> lock(g_flush_mutex);
  g_flushes[cpu].push_back(flush);
}

}  // namespace

bool cpu_is_online(CpuNumber cpu) { return to_index(cpu) < cpu_count(); }

void send_ipi(CpuNumber cpu, IpiKind kind) {
  const std::uint32_t i = to_index(cpu);
  if (i >= kCpus) return;
  g_ipis[i].sent.fetch_add(1, std::memory_order_relaxed);
  ipi_point();
  // Release: the handler (which acquires the bit in poll_interrupts) sees every write the
  // sender made before sending, as the machine guarantees for an IPI after a fence.
  g_ipis[i].pending.fetch_or(1u << static_cast<std::uint32_t>(kind), std::memory_order_release);
}

void flush_tlb_local(std::uint64_t virt, std::uint64_t pages) {
  record_flush(host::TlbFlush{virt, pages, false});
}
void flush_tlb_local_all() { record_flush(host::TlbFlush{0, 0, true}); }

namespace host {

void set_ipi_handler(IpiKind kind, IpiHandler handler, void* context) {
  const auto k = static_cast<std::uint32_t>(kind);
  if (k >= kIpiKinds) return;
  g_contexts[k].store(context, std::memory_order_relaxed);
  // Release: a poller that sees the new handler sees its context.
  g_handlers[k].store(handler, std::memory_order_release);
}

std::uint32_t poll_interrupts() {
  if (!irqs_enabled()) return 0;
  const std::uint32_t cpu = to_index(current_cpu());
  if (cpu >= kCpus) return 0;
  HostCpuIpis& ipis = g_ipis[cpu];
  // Relaxed first: the common case, nothing pending, costs one load.
  if (ipis.pending.load(std::memory_order_relaxed) == 0) return 0;
  ipi_point();
  // Acquire: pairs with the release in send_ipi.
  const std::uint32_t bits = ipis.pending.exchange(0, std::memory_order_acquire);
  std::uint32_t ran = 0;
  for (std::uint32_t k = 0; k < kIpiKinds; ++k) {
    if ((bits & (1u << k)) == 0) continue;
    // Acquire: pairs with the release in set_ipi_handler.
    const IpiHandler handler = g_handlers[k].load(std::memory_order_acquire);
    if (handler == nullptr) continue;
    irq_enter();
    handler(g_contexts[k].load(std::memory_order_relaxed));
    irq_exit();
    ++ran;
  }
  return ran;
}

bool ipi_pending(CpuNumber cpu) {
  const std::uint32_t i = to_index(cpu);
  return i < kCpus && g_ipis[i].pending.load(std::memory_order_acquire) != 0;
}

std::uint64_t ipis_sent(CpuNumber cpu) {
  const std::uint32_t i = to_index(cpu);
  return i < kCpus ? g_ipis[i].sent.load(std::memory_order_relaxed) : 0;
}

void reset_ipis() {
  for (HostCpuIpis& ipis : g_ipis) {
    ipis.pending.store(0, std::memory_order_relaxed);
    ipis.sent.store(0, std::memory_order_relaxed);
  }
}

std::vector<TlbFlush> tlb_flushes(CpuNumber cpu) {
  const std::uint32_t i = to_index(cpu);
  if (i >= kCpus) return {};
  std::lock_guard<std::mutex> lock(g_flush_mutex);
  return g_flushes[i];
}

bool tlb_flushed(CpuNumber cpu, std::uint64_t virt) {
  const std::uint64_t page = virt & ~(kPageSize - 1);
  for (const TlbFlush& f : tlb_flushes(cpu)) {
    if (f.all || (page >= f.virt && page - f.virt < f.pages * kPageSize)) return true;
  }
  return false;
}

void clear_tlb_flushes() {
  std::lock_guard<std::mutex> lock(g_flush_mutex);
  for (auto& flushes : g_flushes) flushes.clear();
}

}  // namespace host
}  // namespace platform
