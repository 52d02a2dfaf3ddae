// measure_tsc against fake references and a fake TSC on one virtual time base.
#include "kernel/time/tsc_calibration.h"

#include <gtest/gtest.h>

#include "tests/host/time/fake_machine.h"

namespace {

using ktime::measure_tsc;
using ktime_test::FakeReference;
using ktime_test::FakeTsc;
using ktime_test::VirtualTime;

constexpr std::uint64_t kHpetHz = 100'000'000;
constexpr std::uint64_t kPmHz = 3'579'545;
constexpr std::uint64_t k24Bits = 0x00FF'FFFF;

// Within 0.5% of `want`.
void expect_close(std::uint64_t got, std::uint64_t want) {
  EXPECT_GE(got, want - want / 200) << got;
  EXPECT_LE(got, want + want / 200) << got;
}

TEST(MeasureTsc, AgreesWithTheTrueRateAgainstAnHpet) {
  VirtualTime time;
  FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
  FakeTsc tsc(time, 2'994'000'000);
  const auto m = measure_tsc(hpet, tsc);
  EXPECT_EQ(m.error, nullptr);
  expect_close(m.hz, 2'994'000'000);
  EXPECT_EQ(m.runs, 2u);  // the first two windows agree on a steady fake
}

// The PM timer is 24 bits wide on most chipsets: it wraps every 4.7 s, and a window that
// straddles the wrap must still count the ticks across it (difference modulo 2^24).
TEST(MeasureTsc, PmTimerWindowAcross24BitWrap) {
  VirtualTime time;
  FakeReference pm(time, "PM timer", kPmHz, k24Bits);
  pm.start = k24Bits - 1000;  // wraps ~280 us into the first window
  FakeTsc tsc(time, 1'500'000'000);
  const auto m = measure_tsc(pm, tsc);
  EXPECT_EQ(m.error, nullptr);
  expect_close(m.hz, 1'500'000'000);
  EXPECT_EQ(m.runs, 2u);  // the window across the wrap agreed with the next one
}

// A 16-bit counter at the PM timer's rate wraps every 18 ms, inside most 10 ms windows: every
// one of them must still count right.
TEST(MeasureTsc, CounterThatWrapsInsideMostWindows) {
  VirtualTime time;
  FakeReference narrow(time, "PM timer", kPmHz, 0xFFFF);
  narrow.start = 0xFFFF - 5000;
  FakeTsc tsc(time, 2'000'000'000);
  const auto m = measure_tsc(narrow, tsc);
  EXPECT_EQ(m.error, nullptr);
  expect_close(m.hz, 2'000'000'000);
  EXPECT_EQ(m.runs, 2u);
}

TEST(MeasureTsc, StuckReferenceEndsByTheTscDeadline) {
  VirtualTime time;
  FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
  hpet.stuck = true;
  constexpr std::uint64_t kTscHz = 3'000'000'000;
  FakeTsc tsc(time, kTscHz);
  const auto m = measure_tsc(hpet, tsc);
  EXPECT_EQ(m.hz, 0u);
  EXPECT_STREQ(m.error, "reference clock did not advance");
  // Ended by the TSC deadline (kMaxWindowTscCycles), long before the read cap.
  EXPECT_LT(hpet.reads, ktime::kMaxReferenceReads);
  const auto deadline_ps = static_cast<std::uint64_t>(
      static_cast<unsigned __int128>(ktime::kMaxWindowTscCycles) * ktime_test::kPsPerSecond /
      kTscHz);
  EXPECT_LE(time.ps, deadline_ps + 10 * time.step_ps);
}

// A reference that moves, but at a fraction of the rate it claims: the window's TSC deadline
// ends it, with how far it got.
TEST(MeasureTsc, FarTooSlowReferenceIsReportedWithTheTicksReached) {
  VirtualTime time;
  FakeReference pm(time, "PM timer", kPmHz, k24Bits);
  pm.set_true_hz(1000);  // claims 3.58 MHz
  FakeTsc tsc(time, 10'000'000'000);
  const auto m = measure_tsc(pm, tsc);
  EXPECT_EQ(m.hz, 0u);
  EXPECT_STREQ(m.error, "reference clock too slow or stuck");
  EXPECT_EQ(m.wanted_ticks, kPmHz / 100);
  EXPECT_GT(m.reached_ticks, 0u);
  EXPECT_LT(m.reached_ticks, m.wanted_ticks);
}

TEST(MeasureTsc, WindowsThatNeverAgreeAreRejected) {
  VirtualTime time;
  FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
  FakeTsc tsc(time, 3'000'000'000);
  // The TSC rate alternates 3.0 / 3.12 GHz every 10 ms: consecutive windows differ by ~4%.
  std::vector<FakeTsc::Segment> segments;
  for (std::uint64_t i = 0; i < 40; ++i) {
    segments.push_back({(i + 1) * 10'000'000'000ull, i % 2 ? 3'120'000'000ull : 3'000'000'000ull});
  }
  tsc.schedule(segments);
  const auto m = measure_tsc(hpet, tsc);
  EXPECT_EQ(m.hz, 0u);
  EXPECT_STREQ(m.error, "no two consecutive windows agreed within 0.5%");
  EXPECT_EQ(m.runs, 8u);
}

// A disturbed first window (an SMI, a descheduled virtual CPU) is retried: the measurement goes
// on until two consecutive windows agree, and their rate is the result.
TEST(MeasureTsc, DisturbedWindowIsRetried) {
  VirtualTime time;
  FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
  FakeTsc tsc(time, 3'000'000'000);
  tsc.schedule({{12'000'000'000ull, 3'300'000'000ull}, {~0ull, 3'000'000'000ull}});
  const auto m = measure_tsc(hpet, tsc);
  EXPECT_EQ(m.error, nullptr);
  EXPECT_GT(m.runs, 2u);
  expect_close(m.hz, 3'000'000'000);
}

TEST(MeasureTsc, RatesOutside100MHzTo10GHzAreRejected) {
  for (const std::uint64_t hz : {50'000'000ull, 20'000'000'000ull}) {
    VirtualTime time;
    FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
    FakeTsc tsc(time, hz);
    const auto m = measure_tsc(hpet, tsc);
    EXPECT_EQ(m.hz, 0u) << hz;
    EXPECT_STREQ(m.error, "TSC rate outside 100 MHz..10 GHz") << hz;
  }
  // Just inside both ends.
  for (const std::uint64_t hz : {101'000'000ull, 9'900'000'000ull}) {
    VirtualTime time;
    FakeReference hpet(time, "HPET", kHpetHz, ~0ull);
    FakeTsc tsc(time, hz);
    const auto m = measure_tsc(hpet, tsc);
    expect_close(m.hz, hz);
  }
}

TEST(MeasureTsc, ReferenceRateBelow100HzIsRefused) {
  VirtualTime time;
  FakeReference slow(time, "HPET", 50, ~0ull);
  FakeTsc tsc(time, 3'000'000'000);
  const auto m = measure_tsc(slow, tsc);
  EXPECT_EQ(m.hz, 0u);
  EXPECT_STREQ(m.error, "reference clock rate outside 100 Hz..10 GHz");
  EXPECT_EQ(slow.reads, 0u);
}

}  // namespace
