// The TSC clock: rate determination (CPUID, else HPET, PM timer, PIT) and now_ns()/delays.
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
namespace {

constexpr std::uint64_t kNsPerSecond = 1'000'000'000;
constexpr std::uint32_t kCpuidInvariantTscLeaf = 0x80000007;
constexpr std::uint32_t kInvariantTscEdx = 1u << 8;
// Before init(): assume 1 GHz, so that ns = cycles; real TSCs run faster, so early timeouts
// only err long.
constexpr unsigned kMultShift = 32;
constexpr std::uint64_t kFallbackMult = 1ull << kMultShift;

std::atomic<std::uint64_t> g_mult{kFallbackMult};  // ns = (tsc * mult) >> 32
std::uint64_t g_tsc_hz = 0;
TscSource g_source = TscSource::kNone;
bool g_invariant = false;
std::uint64_t g_hpet_phys = 0;
std::uint16_t g_pm_port = 0;
bool g_pm_32bit = false;
HpetClock g_hpet;
PmTimerClock g_pm_timer;

// CPUID 0x15 (TSC = crystal * EBX / EAX, ECX = crystal Hz) or 0x16 (EAX = base MHz).
std::uint64_t tsc_hz_from_cpuid(TscSource& source) {
  const std::uint32_t max_leaf = arch::cpuid(0).eax;
  if (max_leaf >= 0x15) {
    const arch::CpuidResult l = arch::cpuid(0x15);
    if (l.eax != 0 && l.ebx != 0 && l.ecx != 0) {
      source = TscSource::kCpuid15;
      return std::uint64_t{l.ecx} * l.ebx / l.eax;
    }
  }
  if (max_leaf >= 0x16) {
    const std::uint32_t mhz = arch::cpuid(0x16).eax & 0xFFFF;
    if (mhz != 0) {
      source = TscSource::kCpuid16;
      return std::uint64_t{mhz} * 1'000'000;
    }
  }
  return 0;
}

std::uint64_t measure_against(ReferenceClock& ref, TscSource source, TscSource& out) {
  const TscMeasurement m = measure_tsc(ref);
  if (m.hz == 0) {
    klog::warn("tsc: measuring against the {} failed after {} windows: {}", ref.name(), m.runs,
               m.error);
    return 0;
  }
  out = source;
  return m.hz;
}

std::uint64_t determine_tsc_hz(TscSource& source) {
  std::uint64_t hz = tsc_hz_from_cpuid(source);
  if (hz >= kMinTscHz && hz <= kMaxTscHz) return hz;
  if (hz != 0) klog::warn("tsc: CPUID reports {} Hz, outside 100 MHz..10 GHz; measuring", hz);
  source = TscSource::kNone;
  if (g_hpet_phys != 0) {
    if (const char* e = g_hpet.init(g_hpet_phys)) {
      klog::warn("tsc: HPET at {:#x} unusable: {}", g_hpet_phys, e);
    } else if ((hz = measure_against(g_hpet, TscSource::kHpet, source)) != 0) {
      return hz;
    }
  }
  if (g_pm_port != 0) {
    if (const char* e = g_pm_timer.init(g_pm_port, g_pm_32bit)) {
      klog::warn("tsc: PM timer at port {:#x} unusable: {}", g_pm_port, e);
    } else if ((hz = measure_against(g_pm_timer, TscSource::kPmTimer, source)) != 0) {
      return hz;
    }
  }
  auto pit = arch::measure_tsc_hz_with_pit();
  if (pit.ok() && pit.value() >= kMinTscHz && pit.value() <= kMaxTscHz) {
    source = TscSource::kPit;
    return pit.value();
  }
  klog::warn("tsc: measuring against the PIT failed: {}",
             pit.ok() ? "rate outside 100 MHz..10 GHz" : pit.error());
  return 0;
}

}  // namespace

const char* tsc_source_name(TscSource source) {
  switch (source) {
    case TscSource::kNone: return "none";
    case TscSource::kCpuid15: return "CPUID 0x15";
    case TscSource::kCpuid16: return "CPUID 0x16";
    case TscSource::kHpet: return "HPET";
    case TscSource::kPmTimer: return "PM timer";
    case TscSource::kPit: return "PIT";
  }
  return "?";
}

void set_hpet(std::uint64_t hpet_base) { g_hpet_phys = hpet_base; }

void set_pm_timer(std::uint16_t io_port, bool is_32bit) {
  g_pm_port = io_port;
  g_pm_32bit = is_32bit;
}

void init() {
  if (arch::cpuid(0x80000000).eax >= kCpuidInvariantTscLeaf) {
    g_invariant = (arch::cpuid(kCpuidInvariantTscLeaf).edx & kInvariantTscEdx) != 0;
  }
  TscSource source = TscSource::kNone;
  const std::uint64_t hz = determine_tsc_hz(source);
  if (hz == 0) panic("tsc: no clock source gave a usable TSC rate");
  g_tsc_hz = hz;
  g_source = source;
  // mult = 2^32 * 1e9 / hz: below 2^32 * 10 for hz >= 100 MHz, so it fits in 64 bits.
  g_mult.store((kNsPerSecond << kMultShift) / hz, std::memory_order_release);
  klog::info("tsc: {} MHz ({}), {}", (hz + 500'000) / 1'000'000, tsc_source_name(source),
             g_invariant ? "invariant" : "NOT invariant (may change with power states)");
  init_timer_interrupts();
  (void)init_this_cpu_timer();
}

std::uint64_t now_ns() {
  const unsigned __int128 product =
      static_cast<unsigned __int128>(arch::rdtsc()) * g_mult.load(std::memory_order_relaxed);
  return static_cast<std::uint64_t>(product >> kMultShift);
}

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

std::uint64_t tsc_hz() { return g_tsc_hz; }
TscSource tsc_source() { return g_source; }
bool tsc_invariant() { return g_invariant; }

}  // namespace ktime
