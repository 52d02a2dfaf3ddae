#include "kernel/time/tsc_calibration.h"

namespace ktime {
namespace {

constexpr std::uint64_t kWindowDivisor = 100;  // window = 1/100 s = 10 ms
constexpr std::uint32_t kMaxRuns = 8;
constexpr std::uint64_t kAgreementDivisor = 200;  // 0.5%

struct Window {
  std::uint64_t tsc_cycles = 0;
  std::uint64_t ref_ticks = 0;
};

// One window: reference ticks and TSC cycles between its first and last reads. False, with
// m.error (and the ticks reached), when the reference does not move or does not get there.
bool measure_window(ReferenceClock& ref, TscReader& tsc, Window& out, TscMeasurement& m) {
  const std::uint64_t mask = ref.mask();
  const std::uint64_t want = ref.hz() / kWindowDivisor;
  // Start on a reference edge, so the window does not begin part-way through a tick.
  const std::uint64_t edge = ref.read();
  const std::uint64_t tsc_edge = tsc.read_tsc();
  std::uint64_t start = edge;
  for (std::uint64_t reads = 0; start == edge && reads < kMaxReferenceReads; ++reads) {
    if (tsc.read_tsc() - tsc_edge > kMaxWindowTscCycles) break;
    start = ref.read();
  }
  if (start == edge) {
    m.error = "reference clock did not advance";
    m.wanted_ticks = want;
    return false;
  }
  const std::uint64_t tsc_start = tsc.read_tsc();
  std::uint64_t tsc_end = tsc_start;
  std::uint64_t elapsed = 0;
  for (std::uint64_t reads = 0; reads < kMaxReferenceReads; ++reads) {
    elapsed = (ref.read() - start) & mask;
    tsc_end = tsc.read_tsc();
    if (elapsed >= want || tsc_end - tsc_start > kMaxWindowTscCycles) break;
  }
  if (elapsed < want) {
    m.error = "reference clock too slow or stuck";
    m.reached_ticks = elapsed;
    m.wanted_ticks = want;
    return false;
  }
  out.tsc_cycles = tsc_end - tsc_start;
  out.ref_ticks = elapsed;
  return true;
}

std::uint64_t window_hz(const Window& w, std::uint64_t ref_hz) {
  // cycles * ref_hz fits: a window is at most 4e8 cycles (kMaxWindowTscCycles), times a
  // reference of at most 10^10 Hz (the HPET's 100 MHz limit, with margin) is 4e18 < 2^64.
  return w.tsc_cycles * ref_hz / w.ref_ticks;
}

}  // namespace

TscMeasurement measure_tsc(ReferenceClock& ref, TscReader& tsc) {
  TscMeasurement m;
  if (ref.hz() < kWindowDivisor || ref.hz() > kMaxTscHz) {
    m.error = "reference clock rate outside 100 Hz..10 GHz";
    return m;
  }
  std::uint64_t previous = 0;
  for (m.runs = 1; m.runs <= kMaxRuns; ++m.runs) {
    Window w;
    if (!measure_window(ref, tsc, w, m)) return m;
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
