// Measuring the TSC rate against a reference clock, bounded and checked.
#pragma once

#include <cstdint>

#include "kernel/time/reference_clock.h"

namespace ktime {

struct TscMeasurement {
  std::uint64_t hz = 0;       // 0 on failure
  const char* error = nullptr;
  std::uint32_t runs = 0;     // how many windows were measured
};

// Counts TSC cycles over ~10 ms windows of `ref` until two consecutive windows agree within
// 0.5% (at most 8 windows); the result is their mean and must lie in 100 MHz..10 GHz. Each
// window ends when the reference has advanced by the window length (the deadline) or after an
// iteration cap, which only a stuck reference reaches (reported with the ticks it reached).
// Interrupts off.
TscMeasurement measure_tsc(ReferenceClock& ref);

inline constexpr std::uint64_t kMinTscHz = 100'000'000;
inline constexpr std::uint64_t kMaxTscHz = 10'000'000'000;

}  // namespace ktime
