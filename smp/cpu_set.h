// CpuSet: a set of logical CPUs, for affinity masks and IPI / TLB-shootdown targets.
// Fixed capacity (kMaxCpus) so it needs no allocation; the kernel never runs more CPUs than
// that and reports the ones it had to leave out.
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace smp {

inline constexpr std::uint32_t kMaxCpus = 1024;

class CpuSet {
 public:
  constexpr CpuSet() = default;
  static CpuSet all(std::uint32_t count);  // CPUs 0..count-1 (count clamped to kMaxCpus)
  static CpuSet only(std::uint32_t cpu);   // {cpu} (empty when out of range)

  // Out-of-range CPUs are ignored by add/remove and never contained.
  void add(platform::CpuNumber cpu);
  void remove(platform::CpuNumber cpu);
  // Inline: both are on the way back to user mode from every system call.
  bool contains(platform::CpuNumber cpu) const {
    const std::uint32_t i = platform::to_index(cpu);
    return i < kMaxCpus && ((words_[i / 64] >> (i % 64)) & 1) != 0;
  }
  bool empty() const {
    for (const std::uint64_t w : words_) {
      if (w != 0) return false;
    }
    return true;
  }
  std::uint32_t count() const;
  // The lowest CPU in the set at or after `from`, or kMaxCpus when there is none.
  std::uint32_t next(std::uint32_t from) const;

  CpuSet& operator&=(const CpuSet& other);
  CpuSet& operator|=(const CpuSet& other);
  bool operator==(const CpuSet& other) const;

 private:
  static constexpr std::uint32_t kWords = kMaxCpus / 64;
  std::uint64_t words_[kWords] = {};
};

}  // namespace smp
