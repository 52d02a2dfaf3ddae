// The cross-CPU TSC check: the warp bookkeeping and the verdict with fake readings, then the
// whole handshake on two host threads ("boot CPU" and "AP") whose fake TSCs differ by a known
// offset. Nothing asserts on timing; the threaded tests retry a round the scheduler left
// inconclusive (the two threads never took turns).
#include "kernel/time/tsc_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace {

using ktime::CpuSyncReport;
using ktime::decide_tsc_sync;
using ktime::observe_warp;
using ktime::SyncVerdict;
using ktime::WarpSide;

// Tags as the check makes them: round << 1 | side (0 checker, 1 target).
constexpr std::uint64_t kChecker = 3 << 1;
constexpr std::uint64_t kTarget = (3 << 1) | 1;
constexpr std::uint64_t kOldRoundChecker = 2 << 1;

TEST(ObserveWarp, LaterSmallerValueOfTheOtherCpuIsAWarp) {
  WarpSide s;
  observe_warp(s, 1000, kChecker, 900, kTarget);
  EXPECT_EQ(s.handoffs, 1u);
  EXPECT_EQ(s.warps, 1u);
  EXPECT_EQ(s.max_warp, 100u);
  observe_warp(s, 2000, kChecker, 1700, kTarget);
  observe_warp(s, 3000, kChecker, 2950, kTarget);
  EXPECT_EQ(s.max_warp, 300u);
  EXPECT_EQ(s.warps, 3u);
}

TEST(ObserveWarp, LargerValueIsAHandoffWithoutWarp) {
  WarpSide s;
  observe_warp(s, 1000, kChecker, 1001, kTarget);
  observe_warp(s, 1000, kChecker, 1000, kTarget);  // equal: not behind
  EXPECT_EQ(s.handoffs, 2u);
  EXPECT_EQ(s.warps, 0u);
  EXPECT_EQ(s.max_warp, 0u);
}

TEST(ObserveWarp, OwnRecordsAreNoHandoffButCatchABackwardTsc) {
  WarpSide s;
  observe_warp(s, 1000, kTarget, 1100, kTarget);
  EXPECT_EQ(s.handoffs, 0u);
  EXPECT_FALSE(s.went_backwards);
  observe_warp(s, 1000, kTarget, 900, kTarget);
  EXPECT_TRUE(s.went_backwards);
  EXPECT_EQ(s.warps, 0u);
}

TEST(ObserveWarp, RecordsOfNobodyOrAnotherRoundAreIgnored) {
  WarpSide s;
  observe_warp(s, 5000, 0, 10, kTarget);
  observe_warp(s, 5000, kOldRoundChecker, 10, kTarget);
  EXPECT_EQ(s.handoffs, 0u);
  EXPECT_EQ(s.max_warp, 0u);
}

WarpSide side(std::uint64_t max_warp, std::uint64_t handoffs) {
  WarpSide s;
  s.max_warp = max_warp;
  s.warps = max_warp != 0;
  s.handoffs = handoffs;
  s.loops = handoffs * 2;
  return s;
}

TEST(DecideTscSync, NoWarpWithHandoffsBothWaysIsInSync) {
  EXPECT_EQ(decide_tsc_sync(side(0, 10), side(0, 10), true, 0).verdict, SyncVerdict::kInSync);
}

TEST(DecideTscSync, NoHandoffOneWayIsInconclusive) {
  EXPECT_EQ(decide_tsc_sync(side(0, 10), side(0, 0), true, 0).verdict,
            SyncVerdict::kInconclusive);
  EXPECT_EQ(decide_tsc_sync(side(0, 0), side(0, 10), true, 0).verdict,
            SyncVerdict::kInconclusive);
}

TEST(ObserveWarp, SmallestGapIsKeptSigned) {
  WarpSide s;
  observe_warp(s, 1000, kChecker, 1300, kTarget);
  observe_warp(s, 2000, kChecker, 2100, kTarget);
  EXPECT_EQ(s.min_gap, 100);
  observe_warp(s, 3000, kChecker, 2900, kTarget);
  EXPECT_EQ(s.min_gap, -100);
}

WarpSide side(std::uint64_t max_warp, std::uint64_t handoffs, std::int64_t min_gap) {
  WarpSide s = side(max_warp, handoffs);
  s.min_gap = min_gap;
  return s;
}

// Target 1000 behind, hand-overs of 100 and 140 cycles: the checker's smallest gap is
// 1000 + 100, the target's -1000 + 140; the estimate is -(-1000 + 140 - 1100) / 2 = +980.
TEST(DecideTscSync, TargetBehindIsMovedForwardByTheTwoWayEstimate) {
  const auto d = decide_tsc_sync(side(0, 10, 1100), side(860, 10, -860), true, 0);
  EXPECT_EQ(d.verdict, SyncVerdict::kAdjust);
  EXPECT_EQ(d.adjust, 980);
  EXPECT_EQ(d.warp, 860u);
}

TEST(DecideTscSync, TargetAheadIsMovedBackByTheTwoWayEstimate) {
  const auto d = decide_tsc_sync(side(600, 10, -600), side(0, 10, 800), true, 0);
  EXPECT_EQ(d.verdict, SyncVerdict::kAdjust);
  EXPECT_EQ(d.adjust, -700);
}

// No hand-over one way: the warp alone decides the direction and size.
TEST(DecideTscSync, OneWayWarpIsCorrectedByTheWarp) {
  EXPECT_EQ(decide_tsc_sync(side(0, 0), side(500, 10, -500), true, 0).adjust, 500);
  EXPECT_EQ(decide_tsc_sync(side(700, 10, -700), side(0, 0), true, 0).adjust, -700);
}

TEST(DecideTscSync, WarpWithoutTscAdjustIsWarped) {
  const auto d = decide_tsc_sync(side(0, 10), side(500, 10), false, 0);
  EXPECT_EQ(d.verdict, SyncVerdict::kWarped);
  EXPECT_EQ(d.warp, 500u);
}

TEST(DecideTscSync, WarpAfterTheLastCorrectionIsWarped) {
  EXPECT_EQ(decide_tsc_sync(side(0, 10), side(5, 10), true, ktime::kMaxTscAdjustments).verdict,
            SyncVerdict::kWarped);
  EXPECT_EQ(decide_tsc_sync(side(0, 10), side(5, 10), true, ktime::kMaxTscAdjustments - 1).verdict,
            SyncVerdict::kAdjust);
}

TEST(DecideTscSync, WarpTooLargeToCorrectIsWarped) {
  const std::uint64_t huge = static_cast<std::uint64_t>(ktime::kMaxTscAdjust) + 1;
  EXPECT_EQ(decide_tsc_sync(side(0, 10), side(huge, 10), true, 0).verdict, SyncVerdict::kWarped);
}

TEST(DecideTscSync, BackwardTscIsWarpedEvenWithoutWarps) {
  WarpSide back = side(0, 10);
  back.went_backwards = true;
  EXPECT_EQ(decide_tsc_sync(side(0, 10), back, true, 0).verdict, SyncVerdict::kWarped);
}

// A fake TSC per "CPU": the host's steady clock in ns (a 1 GHz TSC shared by both threads, so
// they agree) plus this CPU's offset, which adjust_tsc changes as IA32_TSC_ADJUST would.
class FakeCpu final : public ktime::TscSyncPort {
 public:
  explicit FakeCpu(std::int64_t offset, bool can_adjust = true)
      : offset_(offset), can_adjust_(can_adjust) {}
  std::uint64_t read_tsc_ordered() override {
    if (frozen_) return 12345;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count();
    return static_cast<std::uint64_t>(ns + offset_.load(std::memory_order_relaxed));
  }
  void relax() override { std::this_thread::yield(); }
  bool adjust_tsc(std::int64_t delta) override {
    if (!can_adjust_) return false;
    offset_.fetch_add(delta, std::memory_order_relaxed);
    ++adjustments;
    return true;
  }
  std::int64_t offset() const { return offset_.load(std::memory_order_relaxed); }
  void freeze() { frozen_ = true; }

  std::atomic<int> adjustments{0};

 private:
  std::atomic<std::int64_t> offset_;
  bool can_adjust_;
  bool frozen_ = false;
};

constexpr std::uint64_t kBase = 1'000'000'000'000;  // both TSCs far from 0
constexpr std::uint32_t kAp = 1;

ktime::TscSyncTiming host_timing() {
  ktime::TscSyncTiming t;
  t.enough_handoffs = 1000;
  t.window_cycles = 200'000'000;  // 200 ms of the 1 GHz fake TSC
  t.answer_cycles = 2'000'000'000;  // 2 s: generous for a loaded host
  t.max_loops = 100'000'000;
  t.max_polls = 100'000'000;
  return t;
}

// Runs the check of CPU kAp with a thread serving as that AP; repeats (a few times at most) while
// the scheduler kept the two threads from taking turns.
CpuSyncReport run_check(FakeCpu& boot, FakeCpu& ap, bool can_adjust,
                        const ktime::TscSyncTiming& t = host_timing()) {
  ktime::TscSyncMailbox box;
  std::atomic<bool> stop{false};
  std::thread target([&] {
    while (!stop.load(std::memory_order_acquire)) {
      if (!ktime::serve_target_round(box, kAp, ap, t)) std::this_thread::yield();
    }
  });
  CpuSyncReport r;
  for (int attempt = 0; attempt < 5; ++attempt) {
    r = ktime::check_cpu_tsc(box, kAp, boot, t, can_adjust);
    if (r.verdict != SyncVerdict::kInconclusive || !r.answered) break;
  }
  stop.store(true, std::memory_order_release);
  target.join();
  return r;
}

TEST(TscSyncCheck, EqualTscsAreInSync) {
  FakeCpu boot(kBase), ap(kBase);
  const CpuSyncReport r = run_check(boot, ap, true);
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.verdict, SyncVerdict::kInSync);
  EXPECT_EQ(r.first_warp, 0u);
  EXPECT_EQ(r.adjusted, 0);
  EXPECT_EQ(ap.adjustments.load(), 0);
}

constexpr std::int64_t kSkew = 50'000'000;  // 50 ms: far above any thread hand-over time

TEST(TscSyncCheck, ApBehindIsFoundAndCorrectedForward) {
  FakeCpu boot(kBase), ap(kBase - kSkew);
  const CpuSyncReport r = run_check(boot, ap, true);
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.verdict, SyncVerdict::kInSync);
  EXPECT_GT(r.first_warp, 0u);
  EXPECT_LE(r.first_warp, static_cast<std::uint64_t>(kSkew));
  EXPECT_GT(r.adjusted, 0);
  // The correction closed most of the gap (what is left is below a hand-over, unseen).
  const std::int64_t left = kBase - ap.offset();
  EXPECT_LT(left < 0 ? -left : left, kSkew / 2);
}

TEST(TscSyncCheck, ApAheadIsFoundAndCorrectedBack) {
  FakeCpu boot(kBase), ap(kBase + kSkew);
  const CpuSyncReport r = run_check(boot, ap, true);
  EXPECT_EQ(r.verdict, SyncVerdict::kInSync);
  EXPECT_GT(r.first_warp, 0u);
  EXPECT_LT(r.adjusted, 0);
  const std::int64_t left = kBase - ap.offset();
  EXPECT_LT(left < 0 ? -left : left, kSkew / 2);
}

TEST(TscSyncCheck, WithoutTscAdjustAWarpIsFinal) {
  FakeCpu boot(kBase), ap(kBase - kSkew, /*can_adjust=*/false);
  const CpuSyncReport r = run_check(boot, ap, false);
  EXPECT_EQ(r.verdict, SyncVerdict::kWarped);
  EXPECT_GT(r.first_warp, 0u);
  EXPECT_EQ(r.adjusted, 0);
  EXPECT_EQ(r.rounds, 1u);
}

// The CPU lists TSC_ADJUST but the write fails (a hypervisor's #GP): warped, not corrected.
TEST(TscSyncCheck, FailedCorrectionIsWarped) {
  FakeCpu boot(kBase), ap(kBase - kSkew, /*can_adjust=*/false);
  const CpuSyncReport r = run_check(boot, ap, true);
  EXPECT_EQ(r.verdict, SyncVerdict::kWarped);
  EXPECT_GT(r.first_warp, 0u);
  EXPECT_EQ(r.adjusted, 0);
  EXPECT_EQ(ap.adjustments.load(), 0);
}

// Nobody serves the round: the checker gives up at its deadline and says so.
TEST(TscSyncCheck, SilentApEndsAtTheDeadline) {
  FakeCpu boot(kBase);
  ktime::TscSyncMailbox box;
  ktime::TscSyncTiming t = host_timing();
  t.answer_cycles = 50'000'000;  // 50 ms
  const CpuSyncReport r = ktime::check_cpu_tsc(box, kAp, boot, t, true);
  EXPECT_FALSE(r.answered);
  EXPECT_EQ(r.verdict, SyncVerdict::kInconclusive);
  EXPECT_EQ(r.rounds, 2u);  // retried once
}

// A round the checker closed is not served late: a target that comes by afterwards does
// nothing, and a request naming another CPU is not for it.
TEST(TscSyncCheck, ClosedOrForeignRoundsAreNotServed) {
  FakeCpu boot(kBase), ap(kBase);
  ktime::TscSyncMailbox box;
  ktime::TscSyncTiming t = host_timing();
  t.answer_cycles = 1'000'000;
  (void)ktime::check_cpu_tsc(box, kAp, boot, t, true);  // nobody answered: closed
  EXPECT_FALSE(ktime::serve_target_round(box, kAp, ap, t));
  EXPECT_FALSE(ktime::serve_target_round(box, 2, ap, t));
}

// An AP whose TSC does not move: its waits and its window are bounded by the iteration caps,
// and the check ends (the AP may or may not make it in time; it is never "in sync").
TEST(TscSyncCheck, FrozenApTscEndsByTheIterationBounds) {
  FakeCpu boot(kBase), ap(kBase);
  ap.freeze();
  ktime::TscSyncTiming t = host_timing();
  t.max_loops = 10'000;
  t.max_polls = 10'000;
  const CpuSyncReport r = run_check(boot, ap, false, t);
  EXPECT_NE(r.verdict, SyncVerdict::kInSync);  // 12345 is far behind the boot CPU's TSC
}

// A request whose correction word belongs to another round (the checker has moved on between
// the two reads): the target takes the round up but runs no window for it.
TEST(TscSyncCheck, RoundWithoutItsCorrectionWordIsNotRun) {
  FakeCpu ap(kBase);
  ktime::TscSyncMailbox box;
  box.request.store((std::uint64_t{7} << 32) | kAp);  // the go word still says round 0
  EXPECT_TRUE(ktime::serve_target_round(box, kAp, ap, host_timing()));
  EXPECT_EQ(box.ready.load(), 7u);
  EXPECT_EQ(box.result_round.load(), 0u);  // no window ran
  EXPECT_FALSE(ktime::serve_target_round(box, kAp, ap, host_timing()));  // taken up already
}

// A TSC that advances by one per read: how long a window lasts is counted in reads, no clock.
class CountingTsc final : public ktime::TscSyncPort {
 public:
  std::uint64_t read_tsc_ordered() override { return kBase + ++reads; }
  void relax() override {}
  bool adjust_tsc(std::int64_t) override { return false; }
  std::uint64_t reads = 0;
};

// The target's window is the round's (the checker's) when that is shorter: a target that has
// seen the checker's record once and then waits for a turn that never comes gives up after the
// round's window, not its own longer one.
std::uint64_t reads_of_lone_target_window(std::uint64_t round_window) {
  ktime::TscSyncMailbox box;
  const std::uint64_t round = 1;
  box.go.store(round << 48);  // round 1, no correction
  box.window_cycles.store(round_window);
  box.arena.last_tag = round << 1;  // the checker's record of round 1 (side 0)
  box.arena.last_tsc = kBase;
  box.request.store((round << 32) | kAp);
  ktime::TscSyncTiming t = host_timing();
  t.window_cycles = 1'000'000;
  t.max_loops = 100'000'000;
  CountingTsc tsc;
  EXPECT_TRUE(ktime::serve_target_round(box, kAp, tsc, t));
  EXPECT_EQ(box.result_round.load(), 1u);
  EXPECT_EQ(box.result_handoffs.load(), 1u);
  return tsc.reads;
}

TEST(TscSyncCheck, TargetWindowIsTheRoundsWhenShorter) {
  EXPECT_LT(reads_of_lone_target_window(100), 1'000u);
  EXPECT_GT(reads_of_lone_target_window(0), 1'000'000u);  // none posted: its own window
  EXPECT_GT(reads_of_lone_target_window(5'000'000), 1'000'000u);  // longer: its own window
}

}  // namespace
