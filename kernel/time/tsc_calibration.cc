#include "kernel/time/tsc_calibration.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/console/log.h"

namespace ktime {
namespace {

constexpr std::uint64_t kWindowDivisor = 100;  // window = 1/100 s = 10 ms
constexpr std::uint32_t kMaxRuns = 8;
constexpr std::uint64_t kAgreementDivisor = 200;  // 0.5%
// A reference read is an uncached MMIO or port access: at least tens of ns even emulated, so a
// 10 ms window takes well under 10^6 reads; 10^8 ends a stuck reference within seconds.
constexpr std::uint64_t kMaxReads = 100'000'000;

struct Window {
  std::uint64_t tsc_cycles = 0;
  std::uint64_t ref_ticks = 0;
};

// One window: reference ticks and TSC cycles between its first and last reads.
bool measure_window(ReferenceClock& ref, Window& out, const char** error) {
  const std::uint64_t mask = ref.mask();
  const std::uint64_t want = ref.hz() / kWindowDivisor;
  // Start on a reference edge, so the window does not begin part-way through a tick.
  const std::uint64_t edge = ref.read();
  std::uint64_t start = edge;
  std::uint64_t reads = 0;
  while (start == edge && reads < kMaxReads) {
    start = ref.read();
    ++reads;
  }
  if (start == edge) {
    *error = "reference clock did not advance";
    return false;
  }
  const std::uint64_t tsc_start = arch::rdtsc();
  std::uint64_t now = start;
  std::uint64_t elapsed = 0;
  for (reads = 0; reads < kMaxReads; ++reads) {
    now = ref.read();
    elapsed = (now - start) & mask;
    if (elapsed >= want) break;
  }
  const std::uint64_t tsc_end = arch::rdtsc();
  if (elapsed < want) {
    klog::warn("tsc: {}: window not reached after {} reads: {} of {} ticks", ref.name(), reads,
               elapsed, want);
    *error = "reference clock too slow or stuck";
    return false;
  }
  out.tsc_cycles = tsc_end - tsc_start;
  out.ref_ticks = elapsed;
  return true;
}

std::uint64_t window_hz(const Window& w, std::uint64_t ref_hz) {
  // cycles * ref_hz fits: 10 ms at 10 GHz is 1e8 cycles, times a 100 MHz HPET is 1e16.
  return w.tsc_cycles * ref_hz / w.ref_ticks;
}

}  // namespace

TscMeasurement measure_tsc(ReferenceClock& ref) {
  TscMeasurement m;
  if (ref.hz() < kWindowDivisor) {
    m.error = "reference clock rate too low";
    return m;
  }
  std::uint64_t previous = 0;
  for (m.runs = 1; m.runs <= kMaxRuns; ++m.runs) {
    Window w;
    if (!measure_window(ref, w, &m.error)) return m;
    const std::uint64_t hz = window_hz(w, ref.hz());
    if (previous != 0) {
      const std::uint64_t diff = hz > previous ? hz - previous : previous - hz;
      if (diff <= previous / kAgreementDivisor) {
        m.hz = (hz + previous) / 2;
        if (m.hz < kMinTscHz || m.hz > kMaxTscHz) {
          m.hz = 0;
          m.error = "TSC rate outside 100 MHz..10 GHz";
        }
        return m;
      }
    }
    previous = hz;
  }
  m.runs = kMaxRuns;
  m.error = "no two consecutive windows agreed within 0.5%";
  return m;
}

}  // namespace ktime
