#include "kernel/cpus/cpu_features.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kcpus {
namespace {

// CPUID.1:ECX[27] OSXSAVE and CPUID.7.0:ECX[4] OSPKE echo this CPU's CR4, which the AP has not
// set yet when it compares; CPUID.1:EDX[9] (APIC present) is a feature and is compared.
constexpr FeatureWord kWords[kFeatureWords] = {
    {0x1, 0, 2, 1u << 27},       {0x1, 0, 3, 0},
    {0x7, 0, 1, 0},              {0x7, 0, 2, 1u << 4},
    {0x7, 0, 3, 0},              {0x80000001, 0, 2, 0},
    {0x80000001, 0, 3, 0},
};

}  // namespace

const FeatureWord& feature_word(unsigned i) { return kWords[i < kFeatureWords ? i : 0]; }

CpuFeatures read_cpu_features() {
  CpuFeatures f;
  const std::uint32_t max_basic = arch::cpuid(0).eax;
  const std::uint32_t max_extended = arch::cpuid(0x80000000).eax;
  for (unsigned i = 0; i < kFeatureWords; ++i) {
    const FeatureWord& w = kWords[i];
    const std::uint32_t max = w.leaf >= 0x80000000 ? max_extended : max_basic;
    if (w.leaf > max) continue;
    const arch::CpuidResult r = arch::cpuid(w.leaf, w.subleaf);
    const std::uint32_t regs[4] = {r.eax, r.ebx, r.ecx, r.edx};
    f.value[i] = regs[w.reg] & ~w.ignore;
  }
  return f;
}

unsigned first_difference(const CpuFeatures& ap, const CpuFeatures& bsp) {
  for (unsigned i = 0; i < kFeatureWords; ++i) {
    if (ap.value[i] != bsp.value[i]) return i;
  }
  return kFeatureWords;
}

}  // namespace kcpus
