// The host side's state behind the platform contract's per-call fast functions (current_cpu
// and the interrupt flag): the calling thread's CPU number and interrupts-off flag, in a
// thread_local. The functions themselves are out of line on the host (platform_host.cc; why:
// smp/platform/platform.h). Included by smp/platform/platform.h in host builds.
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
