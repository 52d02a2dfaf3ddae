// Which source gives the TSC rate: CPUID leaf 0x15 where it states the exact rate, else a
// measurement against the HPET, the ACPI PM timer or the PIT, in that order. Pure logic: the
// machine is reached through TscRatePlatform (the kernel's reads the hardware, host tests fake it).
#pragma once

#include <cstdint>

#include "kernel/time/reference_clock.h"
#include "kernel/time/tsc_calibration.h"

namespace ktime {

// Where the TSC rate came from.
enum class TscSource : std::uint8_t { kNone, kCpuid15, kHpet, kPmTimer, kPit };
const char* tsc_source_name(TscSource source);

struct CpuidLeaf {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

class TscRatePlatform : public TscReader {
 public:
  virtual CpuidLeaf cpuid(std::uint32_t leaf) = 0;
  // The reference clocks, set up on first use: nullptr, with *why, when absent or unusable.
  virtual ReferenceClock* hpet(const char** why) = 0;
  virtual ReferenceClock* pm_timer(const char** why) = 0;
  // The TSC rate measured against the PIT; 0, with *why, on failure.
  virtual std::uint64_t pit_tsc_hz(const char** why) = 0;

 protected:
  ~TscRatePlatform() = default;
};

// The TSC rate CPUID leaf 0x15 states exactly (Intel SDM vol. 2A, CPUID leaf 15H): the core
// crystal frequency (ECX) times the TSC/crystal ratio EBX/EAX. ECX = 0 (crystal not enumerated)
// is accepted only for the one model whose crystal Linux hard-codes because that CPU has no
// other way to report it (arch/x86/kernel/tsc.c, native_calibrate_tsc: Intel family 6 model
// 0x5F, Atom Goldmont-D / Denverton, 25 MHz). Leaf 0x16 is never used: its EAX is the
// processor's base (marketing) frequency, not the TSC rate. 0, with *why, when not exact.
std::uint64_t tsc_hz_from_cpuid(TscRatePlatform& p, const char** why);

// The outcome of each branch tried, for the report.
struct TscRate {
  std::uint64_t hz = 0;  // 0: no source gave a rate in 100 MHz..10 GHz
  TscSource source = TscSource::kNone;
  const char* cpuid_why = nullptr;  // why CPUID 0x15 was not used
  std::uint64_t cpuid_hz = 0;       // a CPUID rate rejected for its range
  // Per measured reference (HPET, PM timer): why it was unusable or its measurement failed.
  const char* hpet_why = nullptr;
  TscMeasurement hpet;
  const char* pm_timer_why = nullptr;
  TscMeasurement pm_timer;
  const char* pit_why = nullptr;
};

// Tries CPUID 0x15, then the HPET, the PM timer and the PIT; stops at the first rate inside
// 100 MHz..10 GHz. Every branch is bounded (measure_tsc's deadlines; the PIT's own). Interrupts
// off, boot CPU.
TscRate determine_tsc_rate(TscRatePlatform& p);

}  // namespace ktime
