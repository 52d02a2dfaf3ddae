#include "kernel/cpus/ipi/services.h"

#include "kernel/console/log.h"
#include "kernel/core/options.h"
#include "kernel/cpus/ipi/call_function.h"
#include "kernel/cpus/ipi/panic_stop.h"
#include "kernel/cpus/ipi/provocations.h"
#include "kernel/cpus/ipi/service_options.h"
#include "kernel/cpus/ipi/tlb_shootdown.h"
#include "kernel/cpus/watchdog/stall_test.h"
#include "kernel/cpus/watchdog/watchdog.h"

namespace kcpus {

void set_service_options(const cmdline::ServiceOptions& o);  // service_options.cc

void init_cross_cpu_services(const cmdline::ServiceOptions& o) {
  set_service_options(o);
  const smp::CpuSet online = online_cpus();
  // The online CPUs are all that will ever run kernel code: bring-up returns only once every
  // released AP has joined or been claimed abandoned (then it parks and never joins; docs/smp.md,
  // "The join handshake"), so no CPU comes online after this set is built.
  for (std::uint32_t c = online.next(0); c < smp::kMaxCpus; c = online.next(c + 1)) {
    kernel_tlb_cpus().add(platform::CpuNumber{c});
  }
  init_call_service();
  init_panic_stop();
  klog::info("ipi: call-function, reschedule, TLB shootdown and panic stop ready on {} CPUs",
             online.count());
  if (o.watchdog && !watchdog::start()) klog::error("watchdog: not every AP is watched");
}

void run_test_provocations() {
  const cmdline::ServiceOptions& o = service_options();
  if (o.lockdep_inversion) provoke_lock_inversion();
  if (o.panic_on_ap != 0) provoke_panic_on_ap(o.panic_on_ap);
  if (o.stall != StallTest::kNone) watchdog::provoke_stall(o.stall);
}

}  // namespace kcpus
