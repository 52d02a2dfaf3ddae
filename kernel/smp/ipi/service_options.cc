#include "kernel/smp/ipi/service_options.h"

#include "kernel/console/log.h"
#include "kernel/console/raw.h"
#include "smp/locks/config.h"
#include "smp/locks/lockstat.h"

namespace smp {
namespace {

constinit ServiceOptions g_options{};

bool equals(fmt::StringView a, const char* b) {
  std::size_t i = 0;
  for (; i < a.length; ++i) {
    if (b[i] == '\0' || a.data[i] != b[i]) return false;
  }
  return b[i] == '\0';
}

bool parse_u32(fmt::StringView s, std::uint32_t& out) {
  if (s.length == 0 || s.length > 9) return false;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < s.length; ++i) {
    if (s.data[i] < '0' || s.data[i] > '9') return false;
    v = v * 10 + static_cast<std::uint32_t>(s.data[i] - '0');
  }
  out = v;
  return true;
}

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
  std::size_t i = 0;
  while (i < cmdline.length) {
    while (i < cmdline.length && (cmdline.data[i] == ' ' || cmdline.data[i] == '\t' ||
                                  cmdline.data[i] == '\n' || cmdline.data[i] == '\r')) {
      ++i;
    }
    const std::size_t start = i;
    std::size_t eq = cmdline.length;
    while (i < cmdline.length && cmdline.data[i] != ' ' && cmdline.data[i] != '\t' &&
           cmdline.data[i] != '\n' && cmdline.data[i] != '\r') {
      if (cmdline.data[i] == '=' && eq == cmdline.length) eq = i;
      ++i;
    }
    if (i == start) break;
    const bool has_value = eq < i;
    const fmt::StringView key(cmdline.data + start, (has_value ? eq : i) - start);
    const fmt::StringView value =
        has_value ? fmt::StringView(cmdline.data + eq + 1, i - eq - 1) : fmt::StringView();
    apply(o, key, value, has_value);
  }
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
