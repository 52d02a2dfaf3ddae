#include "sched/weight.h"

namespace sched {
namespace {

// Linux kernel/threads/core.c sched_prio_to_weight: 1024 * 1.25^-nice, rounded.
constexpr std::uint32_t kWeights[40] = {
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
    9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,
    1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,
    110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
};

int clamp_nice(int nice) {
  if (nice < kNiceMin) return kNiceMin;
  if (nice > kNiceMax) return kNiceMax;
  return nice;
}

}  // namespace

std::uint32_t weight_of_nice(int nice) { return kWeights[clamp_nice(nice) - kNiceMin]; }

std::uint32_t inverse_weight_of_nice(int nice) {
  return static_cast<std::uint32_t>((1ull << 32) / weight_of_nice(nice));
}

std::uint64_t scale_runtime(std::uint64_t delta_ns, std::uint32_t weight) {
  if (weight == 0) weight = 1;
  // delta * 1024 fits in 64 bits below 2^54 ns (208 days); past that, divide first.
  if (delta_ns < (1ull << 54)) return delta_ns * kNiceZeroWeight / weight;
  std::uint64_t q = delta_ns / weight;
  if (q > (~0ull / kNiceZeroWeight)) return ~0ull;
  return q * kNiceZeroWeight + (delta_ns % weight) * kNiceZeroWeight / weight;
}

}  // namespace sched
