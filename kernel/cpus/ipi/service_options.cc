#include "kernel/cpus/ipi/service_options.h"

#include "kernel/console/log.h"
#include "smp/klib/words.h"
#include "kernel/console/raw.h"
#include "smp/locks/config.h"
#include "smp/locks/lockstat.h"

namespace smp {
namespace {

constinit ServiceOptions g_options{};

using klib::equals;
using klib::parse_u32;

void apply(ServiceOptions& o, fmt::StringView key, fmt::StringView value, bool has_value) {
  if (equals(key, "lockstat")) {
    o.lockstat = true;
  } else if (equals(key, "watchdog")) {
    o.watchdog = true;
  } else if (equals(key, "bench")) {
    o.bench = true;
  } else if (equals(key, "stall")) {
    if (has_value && equals(value, "irqoff")) {
      o.stall = StallTest::kIrqOff;
    } else if (has_value && equals(value, "lock")) {
      o.stall = StallTest::kLock;
    } else {
      klog::warn("cmdline: stall= takes irqoff or lock");
      return;
    }
    o.watchdog = true;
  } else if (equals(key, "panic_on_ap")) {
    std::uint32_t n = 0;
    if (!has_value || !parse_u32(value, n) || n == 0) {
      klog::warn("cmdline: panic_on_ap= takes an AP number (1 or more)");
      return;
    }
    o.panic_on_ap = n;
  } else if (equals(key, "lockdep_test")) {
    if (!has_value || !equals(value, "inversion")) {
      klog::warn("cmdline: lockdep_test= takes inversion");
      return;
    }
    o.lockdep_inversion = true;
  }
}

}  // namespace

ServiceOptions parse_service_options(fmt::StringView cmdline) {
  ServiceOptions o;
  klib::for_each_word(cmdline, [&](const klib::Word& w) {
    apply(o, w.key, w.value, w.has_value);
    return true;
  });
  return o;
}

const ServiceOptions& service_options() { return g_options; }
void set_service_options(const ServiceOptions& o) { g_options = o; }

void print_lockstat_if_requested() {
  if (!g_options.lockstat) return;
  klog::RawSink sink;
  if constexpr (!kLockstat) {
    klog::raw("lockstat: not built in (PLEIADES_KERNEL_LOCKSTAT=OFF)\n");
  } else {
    klog::raw("lockstat: lock classes\n");
    lockstat::print(sink);
  }
}

}  // namespace smp
