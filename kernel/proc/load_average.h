// The load averages (/proc/loadavg, sysinfo): exponentially damped averages over 1, 5 and 15
// minutes of the number of runnable threads (running or waiting for a CPU, idle threads not
// counted), sampled every 5 s as Linux's calc_global_load does, in its fixed point (11 bits of
// fraction) with its constants (EXP_1 1884, EXP_5 2014, EXP_15 2037: 2048/exp(5 s/1 min) and
// so on). Linux also counts threads in uninterruptible sleep; this kernel has no such state.
#pragma once

#include <cstdint>

namespace kproc {

inline constexpr std::uint32_t kLoadShift = 11;  // FSHIFT
inline constexpr std::uint64_t kLoadOne = 1u << kLoadShift;  // FIXED_1
inline constexpr std::uint64_t kLoadSampleNs = 5'010'000'000;  // LOAD_FREQ: 5 s + 1 tick

struct LoadAverage {
  std::uint64_t load[3] = {};  // 1, 5, 15 minutes, fixed point (kLoadOne is 1.0)
  std::uint32_t runnable = 0;  // at the last sample
};

// One step of the average `load` towards `active` runnable threads with decay `exp` (Linux's
// calc_load, rounding up while the load rises).
constexpr std::uint64_t damp(std::uint64_t load, std::uint64_t exp, std::uint64_t active) {
  std::uint64_t next = load * exp + active * kLoadOne * (kLoadOne - exp);
  if (active * kLoadOne >= load) next += kLoadOne - 1;
  return next / kLoadOne;
}

// Takes a sample when kLoadSampleNs have passed since the last (the interval-timer thread
// calls it at least once a second); `exclude` threads (the caller) are not counted.
void sample_load_average(std::uint64_t now, std::uint32_t exclude);

// The current averages.
LoadAverage load_average();

}  // namespace kproc
