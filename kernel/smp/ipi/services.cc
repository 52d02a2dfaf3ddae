#include "kernel/smp/ipi/services.h"

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/console/log.h"
#include "kernel/smp/cpus.h"
#include "kernel/smp/ipi/call_function.h"
#include "kernel/smp/ipi/panic_stop.h"
#include "kernel/smp/ipi/provocations.h"
#include "kernel/smp/ipi/service_options.h"
#include "kernel/smp/ipi/tlb_shootdown.h"
#include "kernel/smp/watchdog/stall_test.h"
#include "kernel/smp/watchdog/watchdog.h"

namespace smp {

void set_service_options(const ServiceOptions& o);  // service_options.cc

namespace {

// The CPUs that run kernel code now or will: the online ones, and the APs released but not yet
// in their idle loop. Bring-up gives a released AP 100 ms to get there and counts it offline
// after that, but it still runs and joins the scheduler later (a vCPU its host did not schedule,
// or an SMI, takes longer). Left out of the kernel TLB set it would never be asked to flush a
// kernel mapping and would keep reading an unmapped page. The call service skips it until it is
// online. An AP bring-up gave up on (abandoned) parks instead of joining, so it stays out.
bool runs_kernel_code(platform::CpuNumber cpu) {
  const arch::CpuLocal* l = cpu_local(cpu);
  if (l == nullptr) return false;
  const arch::CpuStage stage = arch::read_stage(*l);
  if (stage == arch::CpuStage::kRunning) return true;
  return stage == arch::CpuStage::kOnline && __atomic_load_n(&l->abandoned, __ATOMIC_ACQUIRE) == 0;
}

}  // namespace

void init_cross_cpu_services(fmt::StringView cmdline) {
  const ServiceOptions o = parse_service_options(cmdline);
  set_service_options(o);
  const CpuSet online = online_cpus();
  for (std::uint32_t c = 0; cpu_local(platform::CpuNumber{c}) != nullptr; ++c) {
    if (runs_kernel_code(platform::CpuNumber{c})) kernel_tlb_cpus().add(platform::CpuNumber{c});
  }
  init_call_service();
  init_panic_stop();
  klog::info("ipi: call-function, reschedule, TLB shootdown and panic stop ready on {} CPUs",
             online.count());
  if (o.watchdog && !watchdog::start()) klog::error("watchdog: not every AP is watched");
}

void run_test_provocations() {
  const ServiceOptions& o = service_options();
  if (o.lockdep_inversion) provoke_lock_inversion();
  if (o.panic_on_ap != 0) provoke_panic_on_ap(o.panic_on_ap);
  if (o.stall != StallTest::kNone) watchdog::provoke_stall(o.stall);
}

}  // namespace smp
