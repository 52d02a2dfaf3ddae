#include "kernel/cpus/ipi/service_options.h"

#include "kernel/console/log.h"
#include "kernel/console/raw.h"
#include "kernel/core/options.h"
#include "smp/locks/config.h"
#include "smp/locks/lockstat.h"

namespace kcpus {
namespace {

constinit cmdline::ServiceOptions g_options{};

}  // namespace

const cmdline::ServiceOptions& service_options() { return g_options; }
void set_service_options(const cmdline::ServiceOptions& o) { g_options = o; }

void print_lockstat_if_requested() {
  if (!g_options.lockstat) return;
  klog::RawSink sink;
  if constexpr (!smp::kLockstat) {
    klog::raw("lockstat: not built in (PLEIADES_KERNEL_LOCKSTAT=OFF)\n");
  } else {
    klog::raw("lockstat: lock classes\n");
    smp::lockstat::print(sink);
  }
}

}  // namespace kcpus
