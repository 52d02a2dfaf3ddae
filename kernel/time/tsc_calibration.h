// Measuring the TSC rate against a reference clock, bounded and checked. Pure logic: the TSC and
// the reference are read through interfaces (the kernel passes the hardware, host tests fakes).
#pragma once

#include <cstdint>

#include "kernel/time/reference_clock.h"

namespace ktime {

// The time-stamp counter of the CPU doing the measurement.
class TscReader {
 public:
  virtual std::uint64_t read_tsc() = 0;

 protected:
  ~TscReader() = default;
};

struct TscMeasurement {
  std::uint64_t hz = 0;       // 0 on failure
  const char* error = nullptr;
  std::uint32_t runs = 0;     // how many windows were measured
  // A window that did not complete: how many reference ticks it reached of how many it wanted
  // (0/0 when the failure was not a short window).
  std::uint64_t reached_ticks = 0;
  std::uint64_t wanted_ticks = 0;
};

// Counts TSC cycles over ~10 ms windows of `ref` until two consecutive windows agree within
// 0.5% (at most 8 windows); the result is their mean and must lie in 100 MHz..10 GHz. A window
// ends when the reference has advanced by the window length; it is abandoned (error, with the
// ticks it reached) after kMaxReferenceReads reads or kMaxWindowTscCycles TSC cycles, whichever
// comes first, which only a stuck or far too slow reference reaches. Interrupts off.
TscMeasurement measure_tsc(ReferenceClock& ref, TscReader& tsc);

inline constexpr std::uint64_t kMinTscHz = 100'000'000;
inline constexpr std::uint64_t kMaxTscHz = 10'000'000'000;
// A reference read is an uncached MMIO or port access: at least tens of ns even emulated, so a
// 10 ms window takes well under 10^6 reads; 10^8 ends a stuck reference within seconds.
inline constexpr std::uint64_t kMaxReferenceReads = 100'000'000;
// Four windows of the fastest TSC allowed (10 GHz x 10 ms x 4): a window longer than that, by
// the TSC, has a reference that is stuck or far slower than it claims. 4 s at 100 MHz.
inline constexpr std::uint64_t kMaxWindowTscCycles = 400'000'000;

}  // namespace ktime
