// The host side's state behind the platform contract's per-call fast functions (current_cpu
// and the interrupt flag): the calling thread's CPU number and interrupts-off flag, in a
// thread_local. The functions themselves are out of line on the host (platform_host.cc; why:
// smp/platform/platform.h), but for the benchmarks' flavour (PLEIADES_HOST_INLINE_PLATFORM),
// which has them inline below. Included by smp/platform/platform.h in host builds.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/klib/ids.h"

namespace platform::host::detail {

// The fast state of the CPU a host thread plays (platform_host.cc owns it: bind_cpu,
// irq_enter/irq_exit). Written only by its own thread.
struct FastCpu {
  std::uint32_t cpu = 0;
  bool irqs_enabled = true;
};
// constinit: no dynamic initialisation, so other files reach it with a plain TLS access (no
// initialisation wrapper call).
extern constinit thread_local FastCpu t_fast_cpu;

}  // namespace platform::host::detail

#if defined(PLEIADES_HOST_INLINE_PLATFORM)
#if defined(PLEIADES_EXPLORE)
#error "the explorer's CPUs are fibers with state of their own: its platform calls stay out of line"
#endif
namespace platform {

// The benchmarks' flavour only (NAME_bench libraries, cmake/DualLibrary.cmake), so that a
// benchmark pays for these what the kernel pays (kernel_inline.h), not a call. Valid only where
// no code moves a context from one host thread to another: a thread_local address computed
// before such a switch and kept after it would name the previous thread's state (platform.h).
// The scheduler's host tests do that; no benchmark built with this flavour does (each thread
// runs its own loop from start to end).
//
// Each fences the compiler only (no instruction), as the kernel's "memory" clobbers do: the
// accesses of an interrupts-off section stay inside it. Host "interrupts" are delivered only
// in platform calls (host_ipi.cc), which the compiler cannot move accesses across anyway.
inline klib::CpuNumber current_cpu() { return klib::CpuNumber{host::detail::t_fast_cpu.cpu}; }

inline IrqState irq_save_disable() {
  host::detail::FastCpu& cpu = host::detail::t_fast_cpu;
  const IrqState saved{cpu.irqs_enabled};
  cpu.irqs_enabled = false;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  return saved;
}

inline void irq_restore(IrqState state) {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  host::detail::t_fast_cpu.irqs_enabled = state.enabled;
}

inline bool irqs_enabled() { return host::detail::t_fast_cpu.irqs_enabled; }

}  // namespace platform
#endif
