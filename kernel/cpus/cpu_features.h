// The CPUID feature words every CPU must share with the boot CPU: an AP whose words differ
// parks itself before it loads the boot CPU's CR4 (which could fault on it) and is reported.
#pragma once

#include <cstdint>

namespace kcpus {

struct FeatureWord {
  std::uint32_t leaf;
  std::uint32_t subleaf;
  std::uint8_t reg;  // 0 = EAX, 1 = EBX, 2 = ECX, 3 = EDX
  std::uint32_t ignore;  // bits that legitimately differ (they mirror per-CPU state)
};

inline constexpr unsigned kFeatureWords = 7;

struct CpuFeatures {
  std::uint32_t value[kFeatureWords] = {};
};

// The compared words: leaf 1 ECX/EDX, leaf 7.0 EBX/ECX/EDX, leaf 0x80000001 ECX/EDX.
const FeatureWord& feature_word(unsigned i);

// This CPU's words (leaves above the maximum read as 0). Any CPU.
CpuFeatures read_cpu_features();

// The first index where `ap` differs from `bsp` (outside the ignored bits), or kFeatureWords.
unsigned first_difference(const CpuFeatures& ap, const CpuFeatures& bsp);

}  // namespace kcpus
