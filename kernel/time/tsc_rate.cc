#include "kernel/time/tsc_rate.h"

namespace ktime {
namespace {

constexpr std::uint32_t kTscLeaf = 0x15;
// "GenuineIntel" in CPUID.0 EBX, EDX, ECX.
constexpr std::uint32_t kIntelEbx = 0x756E6547, kIntelEdx = 0x49656E69, kIntelEcx = 0x6C65746E;
constexpr std::uint32_t kDenvertonModel = 0x5F;
constexpr std::uint64_t kDenvertonCrystalHz = 25'000'000;

bool in_range(std::uint64_t hz) { return hz >= kMinTscHz && hz <= kMaxTscHz; }

// Display family and model from CPUID.1:EAX (SDM vol. 2A, CPUID "Version Information").
std::uint32_t family(std::uint32_t eax) {
  const std::uint32_t base = (eax >> 8) & 0xF;
  return base == 0xF ? base + ((eax >> 20) & 0xFF) : base;
}
std::uint32_t model(std::uint32_t eax) {
  const std::uint32_t base = (eax >> 4) & 0xF;
  const std::uint32_t fam = (eax >> 8) & 0xF;
  return (fam == 0x6 || fam == 0xF) ? base | (((eax >> 16) & 0xF) << 4) : base;
}

// The crystal when ECX does not give it: only the model listed above, else 0.
std::uint64_t known_crystal_hz(TscRatePlatform& p, const CpuidLeaf& vendor) {
  if (vendor.ebx != kIntelEbx || vendor.edx != kIntelEdx || vendor.ecx != kIntelEcx) return 0;
  const std::uint32_t version = p.cpuid(1).eax;
  if (family(version) == 6 && model(version) == kDenvertonModel) return kDenvertonCrystalHz;
  return 0;
}

}  // namespace

const char* tsc_source_name(TscSource source) {
  switch (source) {
    case TscSource::kNone: return "none";
    case TscSource::kCpuid15: return "CPUID 0x15";
    case TscSource::kHpet: return "HPET";
    case TscSource::kPmTimer: return "PM timer";
    case TscSource::kPit: return "PIT";
  }
  return "?";
}

std::uint64_t tsc_hz_from_cpuid(TscRatePlatform& p, const char** why) {
  const CpuidLeaf vendor = p.cpuid(0);
  if (vendor.eax < kTscLeaf) {
    *why = "no CPUID leaf 0x15";
    return 0;
  }
  const CpuidLeaf l = p.cpuid(kTscLeaf);
  if (l.eax == 0 || l.ebx == 0) {
    *why = "CPUID 0x15 gives no TSC/crystal ratio";
    return 0;
  }
  std::uint64_t crystal = l.ecx;
  if (crystal == 0) crystal = known_crystal_hz(p, vendor);
  if (crystal == 0) {
    *why = "CPUID 0x15 gives no crystal frequency (ECX = 0) for this model";
    return 0;
  }
  // crystal < 2^32 and EBX < 2^32: the product fits 64 bits.
  return crystal * l.ebx / l.eax;
}

TscRate determine_tsc_rate(TscRatePlatform& p) {
  TscRate r;
  const std::uint64_t cpuid_hz = tsc_hz_from_cpuid(p, &r.cpuid_why);
  if (cpuid_hz != 0) {
    if (in_range(cpuid_hz)) {
      r.hz = cpuid_hz;
      r.source = TscSource::kCpuid15;
      return r;
    }
    r.cpuid_hz = cpuid_hz;
    r.cpuid_why = "CPUID 0x15 rate outside 100 MHz..10 GHz";
  }
  if (ReferenceClock* hpet = p.hpet(&r.hpet_why)) {
    r.hpet = measure_tsc(*hpet, p);
    if (r.hpet.hz != 0) {
      r.hz = r.hpet.hz;
      r.source = TscSource::kHpet;
      return r;
    }
  }
  if (ReferenceClock* pm = p.pm_timer(&r.pm_timer_why)) {
    r.pm_timer = measure_tsc(*pm, p);
    if (r.pm_timer.hz != 0) {
      r.hz = r.pm_timer.hz;
      r.source = TscSource::kPmTimer;
      return r;
    }
  }
  const std::uint64_t pit_hz = p.pit_tsc_hz(&r.pit_why);
  if (pit_hz != 0) {
    if (in_range(pit_hz)) {
      r.hz = pit_hz;
      r.source = TscSource::kPit;
      return r;
    }
    r.pit_why = "PIT: TSC rate outside 100 MHz..10 GHz";
  }
  return r;
}

}  // namespace ktime
