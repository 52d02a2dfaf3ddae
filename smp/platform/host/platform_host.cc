// Host implementation of the platform contract: each host thread that calls bind_cpu() stands
// in for one CPU; interrupts-off is a per-thread flag.
#include "smp/platform/host/platform_host.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace platform {
namespace {

thread_local std::uint32_t t_cpu = 0;
thread_local bool t_irqs_enabled = true;
std::atomic<std::uint32_t> g_cpu_count{1};

}  // namespace

void host::set_cpu_count(std::uint32_t count) { g_cpu_count.store(count); }
void host::bind_cpu(CpuNumber cpu) { t_cpu = to_index(cpu); }

CpuNumber current_cpu() { return CpuNumber{t_cpu}; }
std::uint32_t cpu_count() { return g_cpu_count.load(std::memory_order_relaxed); }

IrqState irq_save_disable() {
  IrqState s{t_irqs_enabled};
  t_irqs_enabled = false;
  return s;
}
void irq_restore(IrqState state) { t_irqs_enabled = state.enabled; }
bool irqs_enabled() { return t_irqs_enabled; }

void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

std::uint64_t cycles() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}
std::uint64_t cycles_per_second() { return 1'000'000'000; }

}  // namespace platform
