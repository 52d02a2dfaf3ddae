// Nice levels to load weights for the fair class. A thread at nice 0 weighs 1024; each nice step
// changes the CPU share by about 10% (a factor of 1.25 between neighbours), as in Linux's
// sched_prio_to_weight table, so weights mean the same thing to people who know Linux.
#pragma once

#include <cstdint>

namespace sched {

inline constexpr int kNiceMin = -20;
inline constexpr int kNiceMax = 19;
inline constexpr std::uint32_t kNiceZeroWeight = 1024;

// Weight of a nice level; out-of-range nice values are clamped to [kNiceMin, kNiceMax].
std::uint32_t weight_of_nice(int nice);

// 2^32 / weight_of_nice(nice), to turn a division by the weight into a multiply and shift.
std::uint32_t inverse_weight_of_nice(int nice);

// Virtual runtime charged for `delta_ns` of real runtime at `weight`: delta * 1024 / weight,
// saturating instead of overflowing.
std::uint64_t scale_runtime(std::uint64_t delta_ns, std::uint32_t weight);

}  // namespace sched
