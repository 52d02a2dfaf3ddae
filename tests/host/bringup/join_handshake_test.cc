// The join handshake (kernel/cpus/bringup/join_handshake.h) and the wait after the release
// (release_wait.h): both orders of the two claims on one word, host threads racing them (run
// under ThreadSanitizer too), and simulated runs in which a released AP joins in time, joins
// just before the boot CPU's claim, or comes too late and ends parked and uncounted.
#include "kernel/cpus/bringup/join_handshake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "kernel/cpus/bringup/release_wait.h"

namespace {

using kcpus::bringup::ap_advance;
using kcpus::bringup::boot_abandon;
using kcpus::bringup::JoinSummary;
using kcpus::bringup::Outcome;
using kcpus::bringup::Progress;
using kcpus::bringup::Target;
using kcpus::bringup::Timing;

constexpr std::uint64_t kUs = 1'000;
constexpr std::uint64_t kMs = 1'000'000;

// The kernel's numbers (arch::CpuStage), as an enum like the kernel's word.
enum class Stage : std::uint32_t { kTimer = 8, kOnline = 9, kRunning = 10, kAbandoned = 0x102 };

Stage load(const Stage& w) { return __atomic_load_n(&w, __ATOMIC_ACQUIRE); }

TEST(JoinHandshake, ApFirstJoinsAndTheBootClaimFails) {
  Stage word = Stage::kOnline;
  EXPECT_TRUE(ap_advance(&word, Stage::kOnline, Stage::kRunning));
  EXPECT_FALSE(boot_abandon(&word, Stage::kOnline, Stage::kAbandoned));
  EXPECT_EQ(word, Stage::kRunning);
}

TEST(JoinHandshake, BootFirstAbandonsAndTheApStepFails) {
  Stage word = Stage::kOnline;
  EXPECT_TRUE(boot_abandon(&word, Stage::kOnline, Stage::kAbandoned));
  EXPECT_FALSE(ap_advance(&word, Stage::kOnline, Stage::kRunning));
  EXPECT_EQ(word, Stage::kAbandoned);  // the AP's failed step leaves the claim in place
}

TEST(JoinHandshake, ClaimFromAStaleStageFailsAfterTheApMovedOn) {
  // The boot CPU saw kTimer, the AP reached kOnline before the claim: progress, not a failure.
  Stage word = Stage::kTimer;
  EXPECT_TRUE(ap_advance(&word, Stage::kTimer, Stage::kOnline));
  EXPECT_FALSE(boot_abandon(&word, Stage::kTimer, Stage::kAbandoned));
  EXPECT_EQ(word, Stage::kOnline);
}

// Two host threads make the two claims at once, many times: exactly one wins each time, and the
// word holds the winner's value.
TEST(JoinHandshake, RacingClaimsExactlyOneWins) {
  constexpr int kRounds = 2000;
  int ap_wins = 0;
  int boot_wins = 0;
  for (int r = 0; r < kRounds; ++r) {
    Stage word = Stage::kOnline;
    std::atomic<bool> go{false};
    bool ap_won = false;
    std::thread ap([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      ap_won = ap_advance(&word, Stage::kOnline, Stage::kRunning);
    });
    go.store(true, std::memory_order_release);
    const bool boot_won = boot_abandon(&word, Stage::kOnline, Stage::kAbandoned);
    ap.join();
    ASSERT_NE(ap_won, boot_won) << "round " << r;
    EXPECT_EQ(load(word), ap_won ? Stage::kRunning : Stage::kAbandoned);
    (ap_won ? ap_wins : boot_wins)++;
  }
  EXPECT_EQ(ap_wins + boot_wins, kRounds);
}

// The release phase over simulated APs and a simulated clock. Every target is online (waiting
// to be released) when the run starts; AP i tries its join `join_after[i]` after the release.
class ReleaseMachine final : public kcpus::bringup::StartupPort {
 public:
  struct Ap {
    std::uint64_t join_after = 1 * kMs;
    bool joins_during_claim = false;  // takes its step just before the boot CPU's claim
    Stage word = Stage::kOnline;
    bool tried = false;
    bool joined = false;  // it won: runs kernel code, joins the scheduler
    bool parked = false;  // it lost: parked for good, touches nothing
  };

  explicit ReleaseMachine(std::vector<Ap> aps) : aps_(std::move(aps)) {}

  std::vector<Target> online_targets() const {
    std::vector<Target> t(aps_.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
      t[i].apic_id = platform::ApicId{static_cast<std::uint32_t>(i + 1)};
      t[i].outcome = Outcome::kOnline;
      t[i].progress = Progress::kOnline;
      t[i].rounds = 1;
    }
    return t;
  }

  // Lets every AP whose time has come try its join, as it would on its own.
  void step() {
    for (Ap& a : aps_) {
      if (!a.tried && now_ - released_ >= a.join_after) try_join(a);
    }
  }

  void begin_wave(const Target*, std::uint32_t, std::uint32_t) override { ADD_FAILURE(); }
  void send_init(platform::ApicId) override { ADD_FAILURE() << "INIT after the release"; }
  void send_startup(platform::ApicId) override { ADD_FAILURE() << "SIPI after the release"; }
  void reset_stage(std::uint32_t) override { ADD_FAILURE(); }

  std::uint32_t stage(std::uint32_t index) override {
    return static_cast<std::uint32_t>(load(aps_[index].word));
  }
  Progress classify(std::uint32_t s) override {
    if (s == static_cast<std::uint32_t>(Stage::kRunning)) return Progress::kJoined;
    if (s >= 0x100) return Progress::kParked;
    if (s == static_cast<std::uint32_t>(Stage::kOnline)) return Progress::kOnline;
    return Progress::kInKernel;
  }
  bool abandon(std::uint32_t index, std::uint32_t seen) override {
    Ap& a = aps_[index];
    if (a.joins_during_claim && !a.tried) try_join(a);
    ++claims_;
    return boot_abandon(&a.word, static_cast<Stage>(seen), Stage::kAbandoned);
  }
  std::uint64_t now_ns() override { return now_; }
  void delay_ns(std::uint64_t ns) override { now_ += ns; }
  void relax() override {
    now_ += 50 * kUs;
    step();
    ASSERT_LT(++polls_, 10'000'000u) << "release wait does not end";
  }

  std::vector<Ap> aps_;
  std::uint64_t released_ = 1'000 * kMs;
  std::uint64_t now_ = 1'000 * kMs;
  std::uint64_t polls_ = 0;
  std::uint32_t claims_ = 0;

 private:
  static void try_join(Ap& a) {
    a.tried = true;
    if (ap_advance(&a.word, Stage::kOnline, Stage::kRunning)) {
      a.joined = true;
    } else {
      a.parked = true;
    }
  }
};

JoinSummary release_and_wait(ReleaseMachine& m, std::vector<Target>& t, Timing timing = {}) {
  t = m.online_targets();
  return kcpus::bringup::await_joins(t.data(), static_cast<std::uint32_t>(t.size()), m.released_, m,
                                   timing);
}

TEST(ReleaseWait, AllJoinInTime) {
  std::vector<ReleaseMachine::Ap> aps(4);
  ReleaseMachine m(aps);
  std::vector<Target> t;
  const JoinSummary s = release_and_wait(m, t);
  EXPECT_EQ(s.joined, 4u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_EQ(m.claims_, 0u);
  for (const Target& x : t) {
    EXPECT_EQ(x.outcome, Outcome::kOnline);
    EXPECT_EQ(x.progress, Progress::kJoined);
  }
}

// The forced-late AP: its host runs it only after the deadline. The boot CPU's claim wins; when
// the AP gets there it finds the claim, parks, and is counted nowhere.
TEST(ReleaseWait, ForcedLateApEndsParkedAndUncounted) {
  std::vector<ReleaseMachine::Ap> aps(3);
  aps[1].join_after = 5'000 * kMs;
  ReleaseMachine m(aps);
  std::vector<Target> t;
  const JoinSummary s = release_and_wait(m, t);
  EXPECT_EQ(s.joined, 2u);
  EXPECT_EQ(s.abandoned, 1u);
  EXPECT_EQ(t[1].outcome, Outcome::kFailed);
  EXPECT_TRUE(t[1].abandoned);
  EXPECT_EQ(t[1].stage, static_cast<std::uint32_t>(Stage::kOnline));
  EXPECT_FALSE(m.aps_[1].tried);  // given up on before it ran
  // Later the host runs it: it tries its join, loses, parks.
  m.now_ += 10'000 * kMs;
  m.step();
  EXPECT_TRUE(m.aps_[1].tried);
  EXPECT_TRUE(m.aps_[1].parked);
  EXPECT_FALSE(m.aps_[1].joined);
  EXPECT_EQ(m.aps_[1].word, Stage::kAbandoned);
  // The count and the CPUs that run kernel code agree.
  std::uint32_t running = 0;
  for (const auto& a : m.aps_) running += a.joined ? 1 : 0;
  EXPECT_EQ(running, s.joined);
}

TEST(ReleaseWait, ApJoiningJustBeforeTheClaimIsCountedOnline) {
  std::vector<ReleaseMachine::Ap> aps(2);
  aps[0].join_after = 5'000 * kMs;
  aps[0].joins_during_claim = true;
  ReleaseMachine m(aps);
  std::vector<Target> t;
  const JoinSummary s = release_and_wait(m, t);
  EXPECT_EQ(m.claims_, 1u);  // the claim was made and lost
  EXPECT_EQ(s.joined, 2u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_EQ(t[0].outcome, Outcome::kOnline);
  EXPECT_EQ(t[0].progress, Progress::kJoined);
  EXPECT_TRUE(m.aps_[0].joined);
  EXPECT_FALSE(t[0].abandoned);
}

// A slow host runs the released APs one after another: each joins within join_ns of the one
// before, all of them long after join_ns from the release. The deadline follows that progress.
TEST(ReleaseWait, DeadlineFollowsProgress) {
  std::vector<ReleaseMachine::Ap> aps(4);
  for (std::size_t i = 0; i < aps.size(); ++i) aps[i].join_after = (i + 1) * 800 * kMs;
  ReleaseMachine m(aps);
  std::vector<Target> t;
  const JoinSummary s = release_and_wait(m, t);
  EXPECT_EQ(s.joined, 4u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_GE(m.now_ - m.released_, 3'200 * kMs);
}

TEST(ReleaseWait, ZeroDeadlineAbandonsEveryApNotYetJoined) {
  std::vector<ReleaseMachine::Ap> aps(3);
  ReleaseMachine m(aps);
  std::vector<Target> t;
  Timing timing;
  timing.join_ns = 0;
  m.now_ += 1;  // the first poll comes after the release
  const JoinSummary s = release_and_wait(m, t, timing);
  EXPECT_EQ(s.joined, 0u);
  EXPECT_EQ(s.abandoned, 3u);
  m.now_ += 10 * kMs;
  m.step();
  for (const auto& a : m.aps_) {
    EXPECT_TRUE(a.parked);
    EXPECT_FALSE(a.joined);
  }
}

TEST(ReleaseWait, TargetsNotOnlineAreLeftAlone) {
  std::vector<ReleaseMachine::Ap> aps(2);
  ReleaseMachine m(aps);
  std::vector<Target> t = m.online_targets();
  t[0].outcome = Outcome::kFailed;  // failed during the start-up: never released
  const JoinSummary s = kcpus::bringup::await_joins(t.data(), 2, m.released_, m, Timing{});
  EXPECT_EQ(s.joined, 1u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_EQ(t[0].outcome, Outcome::kFailed);
  EXPECT_FALSE(t[0].abandoned);
}

// The release phase with a host thread per AP and the real clock. Whatever the interleaving
// (join_ns = 0 makes the two claims meet), the boot side's count equals the APs that joined.
class ThreadedRelease final : public kcpus::bringup::StartupPort {
 public:
  explicit ThreadedRelease(std::uint32_t n) : words_(n, Stage::kOnline) {}

  void begin_wave(const Target*, std::uint32_t, std::uint32_t) override { ADD_FAILURE(); }
  void send_init(platform::ApicId) override { ADD_FAILURE(); }
  void send_startup(platform::ApicId) override { ADD_FAILURE(); }
  void reset_stage(std::uint32_t) override { ADD_FAILURE(); }
  std::uint32_t stage(std::uint32_t index) override {
    return static_cast<std::uint32_t>(load(words_[index]));
  }
  Progress classify(std::uint32_t s) override {
    return s == static_cast<std::uint32_t>(Stage::kRunning) ? Progress::kJoined
                                                            : Progress::kOnline;
  }
  bool abandon(std::uint32_t index, std::uint32_t seen) override {
    return boot_abandon(&words_[index], static_cast<Stage>(seen), Stage::kAbandoned);
  }
  std::uint64_t now_ns() override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch()).count());
  }
  void delay_ns(std::uint64_t) override {}
  void relax() override { std::this_thread::yield(); }

  std::vector<Stage> words_;
};

struct ApThreads {
  // Each AP waits for the release (and, if `after_boot_gave_up`, for the boot side to finish
  // its wait), then tries its join: joined[i] = 1 if it won, 0 if it parked.
  ApThreads(ThreadedRelease& m, std::uint32_t n, bool after_boot_gave_up) : joined(n) {
    for (std::uint32_t i = 0; i < n; ++i) {
      threads.emplace_back([this, &m, i, after_boot_gave_up] {
        while (!released.load(std::memory_order_acquire)) std::this_thread::yield();
        if (after_boot_gave_up) {
          while (!boot_done.load(std::memory_order_acquire)) std::this_thread::yield();
        }
        joined[i] = ap_advance(&m.words_[i], Stage::kOnline, Stage::kRunning) ? 1 : 0;
      });
    }
  }
  std::uint32_t finish() {
    for (std::thread& th : threads) th.join();
    std::uint32_t n = 0;
    for (int j : joined) n += static_cast<std::uint32_t>(j);
    return n;
  }
  std::atomic<bool> released{false};
  std::atomic<bool> boot_done{false};
  std::vector<int> joined;
  std::vector<std::thread> threads;
};

std::vector<Target> online(std::uint32_t n) {
  std::vector<Target> t(n);
  for (Target& x : t) {
    x.outcome = Outcome::kOnline;
    x.progress = Progress::kOnline;
  }
  return t;
}

TEST(ReleaseWaitThreads, CountEqualsTheApsThatJoinedWhateverTheOrder) {
  constexpr std::uint32_t kAps = 3;
  for (int round = 0; round < 200; ++round) {
    ThreadedRelease m(kAps);
    ApThreads aps(m, kAps, false);
    std::vector<Target> t = online(kAps);
    Timing timing;
    timing.join_ns = 0;
    const std::uint64_t released = m.now_ns();
    aps.released.store(true, std::memory_order_release);
    const JoinSummary s = kcpus::bringup::await_joins(t.data(), kAps, released, m, timing);
    const std::uint32_t joined = aps.finish();
    ASSERT_EQ(s.joined + s.abandoned, kAps);
    ASSERT_EQ(s.joined, joined) << "round " << round;
    for (std::uint32_t i = 0; i < kAps; ++i) {
      EXPECT_EQ(t[i].outcome == Outcome::kOnline, aps.joined[i] == 1) << "ap " << i;
      EXPECT_EQ(load(m.words_[i]), aps.joined[i] ? Stage::kRunning : Stage::kAbandoned);
    }
  }
}

TEST(ReleaseWaitThreads, ApsArrivingAfterTheBootGaveUpAllPark) {
  constexpr std::uint32_t kAps = 3;
  ThreadedRelease m(kAps);
  ApThreads aps(m, kAps, true);
  std::vector<Target> t = online(kAps);
  Timing timing;
  timing.join_ns = 0;
  const std::uint64_t released = m.now_ns();
  aps.released.store(true, std::memory_order_release);
  const JoinSummary s = kcpus::bringup::await_joins(t.data(), kAps, released, m, timing);
  aps.boot_done.store(true, std::memory_order_release);
  EXPECT_EQ(aps.finish(), 0u);
  EXPECT_EQ(s.joined, 0u);
  EXPECT_EQ(s.abandoned, kAps);
  for (std::uint32_t i = 0; i < kAps; ++i) {
    EXPECT_TRUE(t[i].abandoned);
    EXPECT_EQ(load(m.words_[i]), Stage::kAbandoned);
  }
}

}  // namespace
