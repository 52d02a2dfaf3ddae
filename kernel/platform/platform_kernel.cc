// The kernel implementation of the platform contract (smp/platform/platform.h): per-CPU data
// through GS (kernel/arch/x86_64/percpu.h), RFLAGS.IF for interrupt state, the TSC for time.
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/time/clock.h"
#include "kernel/platform/platform_kernel.h"
#include "smp/platform/platform.h"

namespace platform {
namespace {

// Only the boot CPU runs until the AP bring-up raises this.
std::atomic<std::uint32_t> g_cpu_count{1};

}  // namespace

// current_cpu, irq_save_disable, irq_restore and irqs_enabled are inline
// (smp/platform/kernel_inline.h).

std::uint32_t cpu_count() { return g_cpu_count.load(std::memory_order_acquire); }

void cpu_relax() { arch::pause(); }

namespace {
// Set once on the boot CPU before any AP runs (kernel::set_virtual_cpus); relaxed: the APs
// start after it, through the bring-up's own release/acquire.
std::atomic<bool> g_virtual_cpus{false};
}  // namespace

bool virtual_cpus() { return g_virtual_cpus.load(std::memory_order_relaxed); }

std::uint64_t cycles() { return arch::rdtsc(); }

// The TSC rate ktime::init() calibrated (CPUID 0x15 where exact, HPET, PM timer or PIT;
// docs/smp.md, "Time").
std::uint64_t cycles_per_second() {
  const std::uint64_t hz = ktime::tsc_hz();
  return hz != 0 ? hz : kernel::kFallbackHz;
}

namespace kernel {

void set_virtual_cpus(bool on) { g_virtual_cpus.store(on, std::memory_order_relaxed); }

void set_cpu_count(std::uint32_t count) {
  // Release: the per-CPU storage sized for `count` is visible to whoever reads the count.
  g_cpu_count.store(count, std::memory_order_release);
}

}  // namespace kernel
}  // namespace platform
