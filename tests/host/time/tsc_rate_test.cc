// determine_tsc_rate: each branch is taken when the better ones are absent or fail, and CPUID
// is trusted only where it states the exact TSC rate.
#include "kernel/time/tsc_rate.h"

#include <gtest/gtest.h>

#include "tests/host/time/fake_machine.h"

namespace {

using ktime::TscSource;
using ktime_test::FakeRatePlatform;
using ktime_test::FakeReference;

constexpr std::uint64_t kTrueHz = 2'500'000'000;
constexpr std::uint64_t kHpetHz = 14'318'180;
constexpr std::uint64_t kPmHz = 3'579'545;

void expect_close(std::uint64_t got, std::uint64_t want) {
  EXPECT_GE(got, want - want / 200) << got;
  EXPECT_LE(got, want + want / 200) << got;
}

// A machine with both references present and working, and no CPUID leaf 0x15.
struct Machine {
  FakeRatePlatform p{kTrueHz};
  FakeReference hpet{p.time, "HPET", kHpetHz, ~0ull};
  FakeReference pm{p.time, "PM timer", kPmHz, 0x00FF'FFFF};
  Machine() {
    p.intel(0xD, 0x55);
    p.hpet_ref = &hpet;
    p.pm_ref = &pm;
    p.pit_hz = kTrueHz;
  }
};

TEST(TscRate, Cpuid15WithCrystalIsExactAndNothingIsMeasured) {
  Machine m;
  m.p.intel(0x16, 0x55);
  m.p.leaves[0x15] = {2, 250, 24'000'000, 0};  // 24 MHz * 250 / 2 = 3 GHz
  m.p.leaves[0x16] = {2100, 3900, 100, 0};
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kCpuid15);
  EXPECT_EQ(r.hz, 3'000'000'000u);
  EXPECT_EQ(m.p.hpet_opens, 0);
  EXPECT_EQ(m.p.pm_timer_opens, 0);
  EXPECT_EQ(m.p.pit_runs, 0);
}

// Denverton reports the ratio but not its 25 MHz crystal (Linux hard-codes it).
TEST(TscRate, Cpuid15WithoutCrystalUsesTheKnownDenvertonCrystal) {
  Machine m;
  m.p.intel(0x15, 0x5F);
  m.p.leaves[0x15] = {1, 88, 0, 0};  // 25 MHz * 88 = 2.2 GHz
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kCpuid15);
  EXPECT_EQ(r.hz, 2'200'000'000u);
}

// Any other model (here Kaby Lake) with ECX = 0 is measured: its crystal is not stated.
TEST(TscRate, Cpuid15WithoutCrystalOnOtherModelsIsMeasured) {
  Machine m;
  m.p.intel(0x16, 0x9E);
  m.p.leaves[0x15] = {2, 250, 0, 0};
  m.p.leaves[0x16] = {3000, 3900, 100, 0};
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kHpet);
  expect_close(r.hz, kTrueHz);
  EXPECT_STREQ(r.cpuid_why, "CPUID 0x15 gives no crystal frequency (ECX = 0) for this model");
}

TEST(TscRate, DenvertonModelOfAnotherVendorIsNotTrusted) {
  Machine m;
  m.p.leaves[0] = {0x15, 0x68747541, 0x444D4163, 0x69746E65};  // AuthenticAMD
  m.p.leaves[1] = {(6u << 8) | (0xF << 4) | (0x5 << 16), 0, 0, 0};
  m.p.leaves[0x15] = {1, 88, 0, 0};
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kHpet);
}

// CPUID 0x16 alone is the base (marketing) frequency: 3.0 GHz here, while the TSC runs at
// 2.5 GHz. It must never be taken for the TSC rate.
TEST(TscRate, Cpuid16AloneIsNeverUsed) {
  Machine m;
  m.p.intel(0x16, 0x55);
  m.p.leaves[0x16] = {3000, 3900, 100, 0};
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kHpet);
  expect_close(r.hz, kTrueHz);
  EXPECT_STREQ(r.cpuid_why, "CPUID 0x15 gives no TSC/crystal ratio");
}

TEST(TscRate, Cpuid15RateOutsideTheRangeIsMeasuredInstead) {
  Machine m;
  m.p.intel(0x15, 0x55);
  m.p.leaves[0x15] = {1000, 1, 24'000'000, 0};  // 24 kHz
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kHpet);
  EXPECT_EQ(r.cpuid_hz, 24'000u);
  expect_close(r.hz, kTrueHz);
}

TEST(TscRate, HpetWhenNoCpuidLeaf) {
  Machine m;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kHpet);
  expect_close(r.hz, kTrueHz);
  EXPECT_STREQ(r.cpuid_why, "no CPUID leaf 0x15");
  EXPECT_EQ(m.p.pm_timer_opens, 0);
  EXPECT_EQ(m.p.pit_runs, 0);
}

TEST(TscRate, PmTimerWhenNoHpet) {
  Machine m;
  m.p.hpet_ref = nullptr;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kPmTimer);
  expect_close(r.hz, kTrueHz);
  EXPECT_STREQ(r.hpet_why, "no HPET table");
  EXPECT_EQ(m.p.pit_runs, 0);
}

TEST(TscRate, PmTimerWhenTheHpetIsStuck) {
  Machine m;
  m.hpet.stuck = true;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kPmTimer);
  expect_close(r.hz, kTrueHz);
  EXPECT_STREQ(r.hpet.error, "reference clock did not advance");
}

TEST(TscRate, PitWhenNeitherReferenceExists) {
  Machine m;
  m.p.hpet_ref = nullptr;
  m.p.pm_ref = nullptr;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kPit);
  EXPECT_EQ(r.hz, kTrueHz);
  EXPECT_STREQ(r.pm_timer_why, "no PM timer in the FADT");
}

TEST(TscRate, PitWhenBothReferencesFail) {
  Machine m;
  m.hpet.stuck = true;
  m.pm.stuck = true;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.source, TscSource::kPit);
  EXPECT_STREQ(r.hpet.error, "reference clock did not advance");
  EXPECT_STREQ(r.pm_timer.error, "reference clock did not advance");
}

TEST(TscRate, PitRateOutsideTheRangeIsRejected) {
  Machine m;
  m.p.hpet_ref = nullptr;
  m.p.pm_ref = nullptr;
  m.p.pit_hz = 15'000'000'000;  // the PIT code itself accepts up to 20 GHz
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.hz, 0u);
  EXPECT_EQ(r.source, TscSource::kNone);
  EXPECT_STREQ(r.pit_why, "PIT: TSC rate outside 100 MHz..10 GHz");
}

TEST(TscRate, NothingWorksGivesNoRateWithEveryReason) {
  Machine m;
  m.p.hpet_ref = nullptr;
  m.pm.stuck = true;
  m.p.pit_hz = 0;
  const auto r = ktime::determine_tsc_rate(m.p);
  EXPECT_EQ(r.hz, 0u);
  EXPECT_EQ(r.source, TscSource::kNone);
  EXPECT_NE(r.cpuid_why, nullptr);
  EXPECT_NE(r.hpet_why, nullptr);
  EXPECT_NE(r.pm_timer.error, nullptr);
  EXPECT_NE(r.pit_why, nullptr);
}

// A TSC that the references measure outside 100 MHz..10 GHz fails every measured branch.
TEST(TscRate, MeasuredRateOutsideTheRangeFallsThroughEveryReference) {
  FakeRatePlatform p{20'000'000'000};
  FakeReference hpet{p.time, "HPET", kHpetHz, ~0ull};
  FakeReference pm{p.time, "PM timer", kPmHz, 0x00FF'FFFF};
  p.hpet_ref = &hpet;
  p.pm_ref = &pm;
  const auto r = ktime::determine_tsc_rate(p);
  EXPECT_EQ(r.hz, 0u);
  EXPECT_STREQ(r.hpet.error, "TSC rate outside 100 MHz..10 GHz");
  EXPECT_STREQ(r.pm_timer.error, "TSC rate outside 100 MHz..10 GHz");
  EXPECT_EQ(p.pit_runs, 1);
}

}  // namespace
