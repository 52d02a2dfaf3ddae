// The kernel implementation of the platform contract (smp/platform/platform.h): per-CPU data
// through GS (kernel/arch/x86_64/percpu.h), RFLAGS.IF for interrupt state, the TSC for time.
#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/pit.h"
#include "kernel/platform/platform_kernel.h"
#include "smp/platform/platform.h"

namespace platform {
namespace {

std::atomic<std::uint64_t> g_tsc_hz{0};
// Only the boot CPU runs until the AP bring-up raises this.
std::atomic<std::uint32_t> g_cpu_count{1};

}  // namespace

CpuNumber current_cpu() {
  // One GS-relative load: the number is read atomically from the block of the CPU executing
  // the load (see arch::current_cpu_number for what may happen afterwards).
  return CpuNumber{arch::current_cpu_number()};
}

std::uint32_t cpu_count() { return g_cpu_count.load(std::memory_order_acquire); }

IrqState irq_save_disable() {
  // pushfq+cli in one asm statement: IF is read and cleared without a window where a
  // compiler could move memory accesses in between.
  std::uint64_t flags;
  asm volatile("pushfq\n\tpopq %0\n\tcli" : "=r"(flags) : : "memory");
  return IrqState{(flags & arch::kRflagsIf) != 0};
}

void irq_restore(IrqState state) {
  // Exactly the saved IF, as popfq would restore it, so nested guards unwind correctly.
  if (state.enabled) {
    arch::sti();
  } else {
    arch::cli();
  }
}

bool irqs_enabled() { return (arch::read_rflags() & arch::kRflagsIf) != 0; }

void cpu_relax() { arch::pause(); }

std::uint64_t cycles() { return arch::rdtsc(); }

std::uint64_t cycles_per_second() {
  const std::uint64_t hz = g_tsc_hz.load(std::memory_order_relaxed);
  return hz != 0 ? hz : kernel::kFallbackHz;
}

namespace kernel {

const char* tsc_source_name(TscSource source) {
  switch (source) {
    case TscSource::kUnknown: return "fallback";
    case TscSource::kCpuid15: return "CPUID 0x15";
    case TscSource::kCpuid16: return "CPUID 0x16";
    case TscSource::kPit: return "PIT";
  }
  return "?";
}

TscRate calibrate_tsc() {
  TscRate rate;
  const std::uint32_t max_leaf = arch::cpuid(0).eax;
  if (max_leaf >= 0x15) {
    // Intel SDM, CPUID leaf 15H: TSC = crystal * EBX / EAX; ECX = crystal Hz (0: unknown).
    const auto l15 = arch::cpuid(0x15);
    if (l15.eax != 0 && l15.ebx != 0 && l15.ecx != 0) {
      rate.hz = std::uint64_t{l15.ecx} * l15.ebx / l15.eax;
      rate.source = TscSource::kCpuid15;
    }
  }
  if (rate.hz == 0 && max_leaf >= 0x16) {
    // Leaf 16H EAX = base frequency in MHz: the invariant TSC runs at it on the CPUs that
    // have leaf 16H but no crystal value in 15H.
    const auto l16 = arch::cpuid(0x16);
    if ((l16.eax & 0xFFFF) != 0) {
      rate.hz = std::uint64_t{l16.eax & 0xFFFF} * 1'000'000;
      rate.source = TscSource::kCpuid16;
    }
  }
  if (rate.hz == 0) {
    auto measured = arch::measure_tsc_hz_with_pit();
    if (measured.ok()) {
      rate.hz = measured.value();
      rate.source = TscSource::kPit;
    } else {
      rate.error = measured.error();
      rate.hz = kFallbackHz;
      rate.source = TscSource::kUnknown;
      return rate;  // g_tsc_hz stays 0: cycles_per_second() reports the fallback
    }
  }
  g_tsc_hz.store(rate.hz, std::memory_order_relaxed);
  return rate;
}

}  // namespace kernel
}  // namespace platform
