// The TSC clock: rate determination (kernel/time/tsc_rate.h over the machine) and
// now_ns()/delays.
#include "kernel/time/clock.h"

#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/pit.h"
#include "kernel/console/log.h"
#include "kernel/core/panic.h"
#include "kernel/time/hpet_clock.h"
#include "kernel/time/lapic_timer.h"
#include "kernel/time/pm_timer_clock.h"
#include "kernel/time/tsc_calibration.h"

namespace ktime {
namespace detail {

std::atomic<std::uint64_t> g_mult{1ull << kMultShift};  // ns = (tsc * mult) >> 32
std::atomic<bool> g_clamped{false};

}  // namespace detail
namespace {

constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
constexpr std::uint32_t kCpuidInvariantTscLeaf = 0x80000007;
constexpr std::uint32_t kInvariantTscEdx = 1u << 8;
// Before init(): assume 1 GHz, so that ns = cycles; real TSCs run faster, so early timeouts
// only err long.
using detail::g_clamped;
using detail::g_mult;
using detail::kMultShift;
constexpr std::uint64_t kFallbackMult = 1ull << kMultShift;

std::uint64_t g_tsc_hz = 0;
TscSource g_source = TscSource::kNone;
bool g_invariant = false;
std::uint64_t g_hpet_phys = 0;
std::uint16_t g_pm_port = 0;
bool g_pm_32bit = false;
HpetClock g_hpet;
PmTimerClock g_pm_timer;

// The largest now_ns() result so far on any CPU, once g_clamped (monotonic: only raised).
std::atomic<std::uint64_t> g_last_ns{0};

// The machine behind determine_tsc_rate: this CPU's CPUID and TSC, the firmware's HPET and PM
// timer (set up on first use), the PIT.
class KernelRatePlatform final : public TscRatePlatform {
 public:
  std::uint64_t read_tsc() override { return arch::rdtsc(); }
  CpuidLeaf cpuid(std::uint32_t leaf) override {
    const arch::CpuidResult r = arch::cpuid(leaf);
    return CpuidLeaf{r.eax, r.ebx, r.ecx, r.edx};
  }
  ReferenceClock* hpet(const char** why) override {
    if (g_hpet_phys == 0) {
      *why = "no HPET table";
      return nullptr;
    }
    if (const char* e = g_hpet.init(g_hpet_phys)) {
      *why = e;
      return nullptr;
    }
    return &g_hpet;
  }
  ReferenceClock* pm_timer(const char** why) override {
    if (g_pm_port == 0) {
      *why = "no PM timer in the FADT";
      return nullptr;
    }
    if (const char* e = g_pm_timer.init(g_pm_port, g_pm_32bit)) {
      *why = e;
      return nullptr;
    }
    return &g_pm_timer;
  }
  std::uint64_t pit_tsc_hz(const char** why) override {
    auto pit = arch::measure_tsc_hz_with_pit();
    if (!pit.ok()) {
      *why = pit.error();
      return 0;
    }
    return pit.value();
  }
};

void report_failed_measurement(const char* name, const TscMeasurement& m) {
  if (m.wanted_ticks != 0) {
    klog::warn("tsc: measuring against the {} failed after {} windows: {} ({} of {} ticks)", name,
               m.runs, m.error, m.reached_ticks, m.wanted_ticks);
  } else {
    klog::warn("tsc: measuring against the {} failed after {} windows: {}", name, m.runs,
               m.error);
  }
}

// Every branch tried before the one that gave the rate, and why it was passed over: the better
// sources' absence is reported at debug level, their failures as warnings.
void report_branches(const TscRate& r) {
  if (r.source == TscSource::kCpuid15) return;
  if (r.cpuid_hz != 0) {
    klog::warn("tsc: CPUID 0x15 gives {} Hz, outside 100 MHz..10 GHz; measuring", r.cpuid_hz);
  } else {
    klog::debug("tsc: not from CPUID: {}", r.cpuid_why);
  }
  if (r.source == TscSource::kHpet) return;
  if (r.hpet.error != nullptr) {
    report_failed_measurement("HPET", r.hpet);
  } else if (g_hpet_phys != 0) {
    klog::warn("tsc: HPET at {:#x} unusable: {}", g_hpet_phys, r.hpet_why);
  } else {
    klog::info("tsc: no HPET; trying the PM timer");
  }
  if (r.source == TscSource::kPmTimer) return;
  if (r.pm_timer.error != nullptr) {
    report_failed_measurement("PM timer", r.pm_timer);
  } else if (g_pm_port != 0) {
    klog::warn("tsc: PM timer at port {:#x} unusable: {}", g_pm_port, r.pm_timer_why);
  } else {
    klog::info("tsc: no PM timer; trying the PIT");
  }
  if (r.source == TscSource::kPit) return;
  klog::warn("tsc: measuring against the PIT failed: {}", r.pit_why);
}

}  // namespace

void set_hpet(std::uint64_t hpet_base) { g_hpet_phys = hpet_base; }

void set_pm_timer(std::uint16_t io_port, bool is_32bit) {
  g_pm_port = io_port;
  g_pm_32bit = is_32bit;
}

void init() {
  if (arch::cpuid(0x80000000).eax >= kCpuidInvariantTscLeaf) {
    g_invariant = (arch::cpuid(kCpuidInvariantTscLeaf).edx & kInvariantTscEdx) != 0;
  }
  KernelRatePlatform platform;
  const TscRate rate = determine_tsc_rate(platform);
  report_branches(rate);
  if (rate.hz == 0) panic("tsc: no clock source gave a usable TSC rate");
  const std::uint64_t hz = rate.hz;
  const TscSource source = rate.source;
  g_tsc_hz = hz;
  g_source = source;
  // mult = 2^32 * 1e9 / hz: below 2^32 * 10 for hz >= 100 MHz, so it fits in 64 bits.
  g_mult.store((kNsPerSecond << kMultShift) / hz, std::memory_order_release);
  klog::info("tsc: {} MHz ({}), {}", (hz + 500'000) / 1'000'000, tsc_source_name(source),
             g_invariant ? "invariant" : "NOT invariant (may change with power states)");
  init_timer_interrupts();
  (void)init_this_cpu_timer();
}

TscConversion tsc_conversion() {
  return TscConversion{g_mult.load(std::memory_order_relaxed), kMultShift};
}

std::uint64_t detail::clamp_to_last(std::uint64_t ns) {
  // Relaxed is enough: g_last_ns only grows, and a call that happens after another (on any CPU)
  // reads g_last_ns at or after the value that call read or wrote (coherence), so it returns at
  // least as much.
  std::uint64_t last = g_last_ns.load(std::memory_order_relaxed);
  while (last < ns) {
    if (g_last_ns.compare_exchange_weak(last, ns, std::memory_order_relaxed)) return ns;
  }
  return last;
}

void set_tsc_unsynchronized() {
  g_last_ns.store(now_ns(), std::memory_order_relaxed);
  g_clamped.store(true, std::memory_order_relaxed);
}

bool tsc_synchronized() { return !g_clamped.load(std::memory_order_relaxed); }

void delay_ns(std::uint64_t ns) {
  const std::uint64_t start = now_ns();
  // Bounded twice: by the TSC, and by an iteration count no working TSC lets it reach (one
  // iteration, a PAUSE and an RDTSC, takes well over 1 ns).
  for (std::uint64_t i = 0; i <= ns; ++i) {
    if (now_ns() - start >= ns) return;
    arch::pause();
  }
}

void delay_us(std::uint64_t us) { delay_ns(us * 1000); }

namespace {
std::uint64_t g_entry_tsc = 0;
}  // namespace

void set_entry_tsc(std::uint64_t tsc) { g_entry_tsc = tsc; }

std::uint64_t since_entry_ns() {
  if (g_tsc_hz == 0) return 0;
  // Whole seconds, then the rest: no 128-bit division in the kernel, and the rest times 10^9
  // stays below 2^64 for any rate init() accepts (at most 10 GHz).
  const std::uint64_t cycles = arch::rdtsc() - g_entry_tsc;
  return cycles / g_tsc_hz * 1'000'000'000u + cycles % g_tsc_hz * 1'000'000'000u / g_tsc_hz;
}

std::uint64_t tsc_hz() { return g_tsc_hz; }
TscSource tsc_source() { return g_source; }
bool tsc_invariant() { return g_invariant; }

}  // namespace ktime
