// The start-up sequencer against simulated CPUs: each fake CPU follows INIT/SIPI the way the
// SDM describes (INIT -> wait-for-SIPI; a SIPI in that state starts it; a SIPI otherwise is
// ignored) and then shows its stages after set delays, or never, or only after a later round.
#include "kernel/cpus/bringup/ap_startup.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using kcpus::bringup::Outcome;
using kcpus::bringup::Progress;
using kcpus::bringup::Summary;
using kcpus::bringup::Target;
using kcpus::bringup::Timing;

constexpr std::uint64_t kUs = 1'000;
constexpr std::uint64_t kMs = 1'000'000;

// Stages as the kernel numbers them: 1 = trampoline reached, 9 = online, 0x100 = parked.
constexpr std::uint32_t kArrivedStage = 1;
constexpr std::uint32_t kLateStage = 8;
constexpr std::uint32_t kOnlineStage = 9;
constexpr std::uint32_t kParkedStage = 0x100;
constexpr std::uint32_t kKernelStage = 7;  // classified kInKernel: holds locks, no INIT

struct FakeCpu {
  std::uint32_t apic_id = 0;
  // Behaviour: ignore the SIPIs of the first `ignore_rounds` INIT rounds; once started, reach
  // the trampoline after `arrive_after` and online after `online_after` (0 = never); or park.
  std::uint32_t ignore_rounds = 0;
  std::uint64_t arrive_after = 1 * kMs;
  std::uint64_t online_after = 20 * kMs;
  bool never_online = false;  // stops at kLateStage
  // When non-zero: after arriving, one stage further every `step_after` until online.
  std::uint64_t step_after = 0;
  std::uint32_t stall_at = 0;  // when non-zero: never shows a stage above this one
  bool stuck_in_kernel = false;  // stops at kKernelStage
  // With stuck_in_kernel: takes its next step just before the boot CPU's abandon claim, so
  // the claim fails (the join handshake's other order) and it goes on to online.
  bool moves_on_when_claimed = false;
  bool parks = false;
  bool absent = false;        // no such CPU: nothing ever happens

  // State.
  bool waiting_for_sipi = false;
  bool running = false;
  std::uint64_t started_at = 0;
  std::uint32_t inits = 0;
  std::uint32_t sipis = 0;
  std::uint64_t first_sipi_at = 0;
  std::uint64_t last_init_at = 0;
  std::uint32_t reset_stage_floor = 0;
};

class FakeMachine final : public kcpus::bringup::StartupPort {
 public:
  explicit FakeMachine(std::vector<FakeCpu> cpus) : cpus_(std::move(cpus)) {}

  std::vector<Target> targets() const {
    std::vector<Target> t(cpus_.size());
    for (std::size_t i = 0; i < cpus_.size(); ++i) t[i].apic_id = platform::ApicId{cpus_[i].apic_id};
    return t;
  }

  void begin_wave(const Target* targets, std::uint32_t first, std::uint32_t count) override {
    waves_.push_back({first, count});
    for (std::uint32_t i = first; i < first + count; ++i) {
      EXPECT_EQ(platform::to_raw(targets[i].apic_id), cpus_[i].apic_id);
    }
  }

  FakeCpu* find(platform::ApicId id) {
    for (FakeCpu& c : cpus_) {
      if (c.apic_id == platform::to_raw(id)) return &c;
    }
    return nullptr;
  }

  void send_init(platform::ApicId id) override {
    log_.push_back("INIT " + std::to_string(static_cast<std::uint32_t>(id)) + " @" +
                   std::to_string(now_));
    FakeCpu* c = find(id);
    ASSERT_NE(c, nullptr);
    ++c->inits;
    c->last_init_at = now_;
    if (c->absent) return;
    c->waiting_for_sipi = true;
    c->running = false;
  }

  void send_startup(platform::ApicId id) override {
    log_.push_back("SIPI " + std::to_string(static_cast<std::uint32_t>(id)) + " @" +
                   std::to_string(now_));
    FakeCpu* c = find(id);
    ASSERT_NE(c, nullptr);
    if (c->sipis++ == 0) c->first_sipi_at = now_;
    if (c->absent || !c->waiting_for_sipi) return;  // not in wait-for-SIPI: ignored
    if (c->inits <= c->ignore_rounds) return;        // misses this round's SIPIs
    c->waiting_for_sipi = false;
    c->running = true;
    c->started_at = now_;
  }

  std::uint32_t stage(std::uint32_t index) override {
    const std::uint32_t raw = raw_stage(index);
    const std::uint32_t cap = cpus_[index].stall_at;
    return cap != 0 && raw < kParkedStage && raw > cap ? cap : raw;
  }

  std::uint32_t raw_stage(std::uint32_t index) {
    const FakeCpu& c = cpus_[index];
    if (!c.running) return 0;
    const std::uint64_t t = now_ - c.started_at;
    if (t < c.arrive_after) return 0;
    if (c.parks) return kParkedStage;
    if (c.never_online) return kLateStage;
    if (c.stuck_in_kernel) return kKernelStage;
    if (c.step_after != 0) {
      const std::uint64_t steps = (t - c.arrive_after) / c.step_after;
      return steps >= kOnlineStage - kArrivedStage ? kOnlineStage
                                                   : kArrivedStage + static_cast<std::uint32_t>(steps);
    }
    return t >= c.online_after ? kOnlineStage : kArrivedStage;
  }

  Progress classify(std::uint32_t s) override {
    if (s >= kParkedStage) return Progress::kParked;
    if (s >= kOnlineStage) return Progress::kOnline;
    if (s == kKernelStage) return Progress::kInKernel;
    if (s >= kArrivedStage) return Progress::kArrived;
    return Progress::kNothing;
  }

  bool abandon(std::uint32_t index, std::uint32_t seen) override {
    FakeCpu& c = cpus_[index];
    EXPECT_EQ(seen, raw_stage(index));  // claimed from the stage the sequencer last saw
    if (c.moves_on_when_claimed) {
      c.stuck_in_kernel = false;  // its stage is no longer `seen`: the claim loses
      c.moves_on_when_claimed = false;
      ++lost_claims_;
      return false;
    }
    abandoned_.push_back(index);
    return true;
  }

  void reset_stage(std::uint32_t index) override {
    // The sequencer must INIT a target before it forgets its stage.
    EXPECT_FALSE(cpus_[index].running) << "reset of a CPU still running";
    ++resets_;
  }

  std::uint64_t now_ns() override { return now_; }
  void delay_ns(std::uint64_t ns) override {
    delays_.push_back(ns);
    now_ += ns;
  }
  void relax() override {
    now_ += 50 * kUs;
    ++polls_;
    ASSERT_LT(polls_, 10'000'000u) << "poll loop does not end";
  }

  std::vector<FakeCpu> cpus_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> waves_;
  std::vector<std::string> log_;
  std::vector<std::uint64_t> delays_;
  std::uint64_t now_ = 1'000 * kMs;
  std::uint64_t polls_ = 0;
  std::uint32_t resets_ = 0;
  std::vector<std::uint32_t> abandoned_;
  std::uint32_t lost_claims_ = 0;
};

std::vector<FakeCpu> cpus(std::uint32_t n) {
  std::vector<FakeCpu> v(n);
  for (std::uint32_t i = 0; i < n; ++i) v[i].apic_id = i + 1;
  return v;
}

Summary run(FakeMachine& m, std::vector<Target>& t, std::uint32_t wave = 256,
            Timing timing = Timing{}) {
  t = m.targets();
  return kcpus::bringup::start_all(t.data(), static_cast<std::uint32_t>(t.size()), wave, m, timing);
}

TEST(ApStartup, AllAnswerInOneParallelRound) {
  FakeMachine m(cpus(8));
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 8u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.waves, 1u);
  EXPECT_EQ(s.retried, 0u);
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].outcome, Outcome::kOnline) << i;
    EXPECT_EQ(t[i].rounds, 1u);
    EXPECT_EQ(m.cpus_[i].inits, 1u);  // no INIT after success
  }
  // Parallel: all INITs, then one INIT delay, then the SIPIs; every CPU started at one moment.
  ASSERT_GE(m.log_.size(), 16u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(m.log_[i].rfind("INIT", 0), 0u) << m.log_[i];
  EXPECT_EQ(m.delays_.at(0), Timing{}.init_delay_ns);
  EXPECT_EQ(m.delays_.at(1), Timing{}.sipi_gap_ns);
  for (const FakeCpu& c : m.cpus_) {
    EXPECT_EQ(c.first_sipi_at, m.cpus_[0].first_sipi_at);
    EXPECT_GE(c.first_sipi_at - c.last_init_at, Timing{}.init_delay_ns);
  }
  // Elapsed time covers first INIT to last online: about the INIT delay plus 20 ms.
  EXPECT_GE(s.last_online_ns - s.first_init_ns, 30 * kMs);
  EXPECT_LT(s.last_online_ns - s.first_init_ns, 40 * kMs);
}

// The stage profile: each step's first sighting, in order, within the simulated delays (a CPU
// that steps every 2 ms after arriving 1 ms after its SIPI), and a retried CPU's profile is its
// last round's.
TEST(ApStartup, StageProfileRecordsEachStepOfTheLastRound) {
  auto v = cpus(2);
  v[0].step_after = 2 * kMs;
  v[1].ignore_rounds = 1;
  FakeMachine m(v);
  std::vector<Target> t;
  run(m, t);
  ASSERT_EQ(t[0].outcome, Outcome::kOnline);
  EXPECT_NE(t[0].sipi_ns, 0u);
  // sipi_ns is taken after the second SIPI's gap, 1 ms after the first starts the CPU.
  EXPECT_GE(t[0].arrived_ns - t[0].sipi_ns, 1 * kMs - Timing{}.sipi_gap_ns);
  EXPECT_GE(t[0].in_kernel_ns - t[0].arrived_ns, 2 * kMs);  // kArrived until its 7th stage
  EXPECT_GT(t[0].online_ns, t[0].in_kernel_ns);
  EXPECT_EQ(t[0].joined_ns, 0u);  // only await_joins sees joins
  ASSERT_EQ(t[1].outcome, Outcome::kOnline);
  ASSERT_EQ(t[1].rounds, 2u);
  EXPECT_GE(t[1].sipi_ns - t[0].sipi_ns, Timing{}.arrive_ns);  // the second round's SIPIs
  EXPECT_GE(t[1].arrived_ns, t[1].sipi_ns);
  EXPECT_LE(t[1].online_ns - t[1].sipi_ns, 30 * kMs);
}

TEST(ApStartup, SecondSipiOnlyToTargetsNotYetArrived) {
  auto v = cpus(2);
  v[0].arrive_after = 0;  // in the trampoline at once: the second SIPI is not sent to it
  FakeMachine m(v);
  std::vector<Target> t;
  run(m, t);
  EXPECT_EQ(m.cpus_[0].sipis, 1u);
  EXPECT_EQ(m.cpus_[1].sipis, 2u);
}

TEST(ApStartup, AnswersOnlyToSecondRound) {
  auto v = cpus(3);
  v[1].ignore_rounds = 1;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 3u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.retried, 1u);
  EXPECT_EQ(t[1].outcome, Outcome::kOnline);
  EXPECT_EQ(t[1].rounds, 2u);
  EXPECT_EQ(t[0].rounds, 1u);
  EXPECT_EQ(m.resets_, 1u);
  // The retry came only after the arrival deadline of its first round had passed.
  EXPECT_GE(m.cpus_[1].last_init_at - m.cpus_[0].first_sipi_at, Timing{}.arrive_ns);
}

TEST(ApStartup, NeverAnswersIsFailedAfterTwoRoundsAndSentInit) {
  auto v = cpus(3);
  v[2].absent = true;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(t[2].outcome, Outcome::kFailed);
  EXPECT_EQ(t[2].rounds, 2u);
  EXPECT_EQ(t[2].stage, 0u);
  // INIT of round 1, INIT before the retry, INIT of round 2, and the final INIT.
  EXPECT_EQ(m.cpus_[2].inits, 4u);
  EXPECT_EQ(m.log_.back().rfind("INIT 3", 0), 0u);
  // Bounded: two arrival deadlines plus delays.
  EXPECT_LT(m.now_ - 1'000 * kMs, 2 * Timing{}.arrive_ns + 50 * kMs);
}

TEST(ApStartup, AnswersLateButWithinDeadline) {
  auto v = cpus(2);
  v[0].arrive_after = 90 * kMs;   // under the 100 ms arrival deadline
  v[0].online_after = 900 * kMs;  // under 100 ms + 1 s
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 2u);
  EXPECT_EQ(t[0].rounds, 1u);
  EXPECT_GE(t[0].online_ns - s.first_init_ns, 900 * kMs);
}

TEST(ApStartup, ArrivesButNeverOnlineFailsWithItsLastStage) {
  auto v = cpus(2);
  v[1].never_online = true;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(t[1].outcome, Outcome::kFailed);
  EXPECT_EQ(t[1].stage, kLateStage);
  EXPECT_EQ(t[1].rounds, 2u);
  EXPECT_FALSE(t[1].parked);
  // Per round it is given online_ns after its last stage change, no more: two rounds.
  EXPECT_GE(m.now_ - 1'000 * kMs, 2 * Timing{}.online_ns);
  EXPECT_LT(m.now_ - 1'000 * kMs, 2 * (Timing{}.arrive_ns + Timing{}.online_ns));
}

TEST(ApStartup, SlowButSteadyProgressIsNotFailed) {
  auto v = cpus(3);
  // Eight stages, 800 ms apart: 6.4 s in all, far past arrive_ns + online_ns, but never more
  // than online_ns without a new stage (64 emulated CPUs on two host cores look like this).
  v[1].step_after = 800 * kMs;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 3u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(t[1].rounds, 1u);
  EXPECT_GE(t[1].online_ns - s.first_init_ns, 6'400 * kMs);
}

TEST(ApStartup, StallingAfterProgressFailsOneDeadlineAfterItsLastStage) {
  auto v = cpus(2);
  v[1].step_after = 300 * kMs;  // reaches stage 8 after 2.1 s, then stops advancing
  v[1].stall_at = kLateStage;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(t[1].stage, kLateStage);
  EXPECT_FALSE(t[1].abandoned);
}

TEST(ApStartup, StuckInKernelCodeIsAbandonedNotInited) {
  auto v = cpus(3);
  v[1].stuck_in_kernel = true;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.retried, 0u);
  EXPECT_EQ(t[1].outcome, Outcome::kFailed);
  EXPECT_TRUE(t[1].abandoned);
  EXPECT_EQ(t[1].stage, kKernelStage);
  EXPECT_EQ(m.cpus_[1].inits, 1u);  // only the start round's INIT: none while in kernel code
  ASSERT_EQ(m.abandoned_.size(), 1u);
  EXPECT_EQ(m.abandoned_[0], 1u);
  // Abandoned once it has shown no new stage for online_ns (its stage came 1 ms after the SIPI).
  EXPECT_GE(m.now_ - 1'000 * kMs, Timing{}.online_ns);
}

TEST(ApStartup, AbandonClaimLostToAStepIsProgressNotFailure) {
  auto v = cpus(2);
  v[1].stuck_in_kernel = true;
  v[1].moves_on_when_claimed = true;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(m.lost_claims_, 1u);
  EXPECT_TRUE(m.abandoned_.empty());
  EXPECT_EQ(s.online, 2u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(t[1].outcome, Outcome::kOnline);
  EXPECT_FALSE(t[1].abandoned);
  EXPECT_EQ(m.cpus_[1].inits, 1u);
}

TEST(ApStartup, TooSlowArrivalIsRetriedThenFailed) {
  auto v = cpus(1);
  v[0].arrive_after = 150 * kMs;  // beyond the 100 ms arrival deadline, every round
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.retried, 1u);
  EXPECT_EQ(t[0].rounds, 2u);
}

TEST(ApStartup, ParkedCpuFailsAtOnceWithoutRetry) {
  auto v = cpus(2);
  v[0].parks = true;
  FakeMachine m(v);
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.retried, 0u);
  EXPECT_TRUE(t[0].parked);
  EXPECT_EQ(t[0].stage, kParkedStage);
  EXPECT_EQ(t[0].rounds, 1u);
  EXPECT_EQ(m.cpus_[0].inits, 2u);  // round + the final INIT
  EXPECT_EQ(t[1].outcome, Outcome::kOnline);
}

TEST(ApStartup, SerialModeStartsOneAtATime) {
  FakeMachine m(cpus(4));
  std::vector<Target> t;
  const Summary s = run(m, t, 1);
  EXPECT_EQ(s.online, 4u);
  EXPECT_EQ(s.waves, 4u);
  ASSERT_EQ(m.waves_.size(), 4u);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_EQ(m.waves_[i], std::make_pair(i, 1u));
  // CPU k is only sent INIT after CPU k-1 was online.
  for (std::size_t i = 1; i < 4; ++i) EXPECT_GE(m.cpus_[i].last_init_at, t[i - 1].online_ns);
}

TEST(ApStartup, WavesBoundedBySlots) {
  FakeMachine m(cpus(5));
  std::vector<Target> t;
  const Summary s = run(m, t, 2);
  EXPECT_EQ(s.online, 5u);
  ASSERT_EQ(m.waves_.size(), 3u);
  EXPECT_EQ(m.waves_[2], std::make_pair(4u, 1u));
}

TEST(ApStartup, PreFailedTargetsAreNotStarted) {
  FakeMachine m(cpus(2));
  std::vector<Target> t = m.targets();
  t[0].outcome = Outcome::kFailed;
  const Summary s = kcpus::bringup::start_all(t.data(), 2, 256, m, Timing{});
  EXPECT_EQ(s.online, 1u);
  EXPECT_EQ(m.cpus_[0].inits, 0u);
  EXPECT_EQ(m.cpus_[0].sipis, 0u);
}

TEST(ApStartup, ShortInitDelayIsUsedWhenConfigured) {
  FakeMachine m(cpus(1));
  std::vector<Target> t;
  Timing timing;
  timing.init_delay_ns = 0;
  run(m, t, 256, timing);
  EXPECT_EQ(m.delays_.at(0), 0u);
  EXPECT_EQ(m.delays_.at(1), 200 * kUs);
}

// After the boot's early INIT (every CPU waiting for its SIPI): the first round sends SIPIs
// only and skips the INIT delay; a CPU that misses it is retried with a full round, INIT first.
TEST(ApStartup, AlreadyInitedTargetsGetSipisOnlyUntilARetry) {
  auto v = cpus(3);
  for (FakeCpu& c : v) {  // as park_firmware_cpus leaves them: one INIT, waiting for a SIPI
    c.inits = 1;
    c.waiting_for_sipi = true;
  }
  v[2].ignore_rounds = 1;
  FakeMachine m(v);
  std::vector<Target> t;
  Timing timing;
  timing.already_inited = true;
  const Summary s = run(m, t, 256, timing);
  EXPECT_EQ(s.online, 3u);
  EXPECT_EQ(m.log_.at(0).rfind("SIPI", 0), 0u) << m.log_.at(0);
  EXPECT_EQ(m.delays_.at(0), timing.sipi_gap_ns);  // no INIT delay before the first SIPIs
  EXPECT_EQ(m.cpus_[0].inits, 1u);  // the early one only
  EXPECT_EQ(m.cpus_[1].inits, 1u);
  EXPECT_EQ(t[2].rounds, 2u);
  EXPECT_EQ(m.cpus_[2].inits, 3u);  // silenced before the retry, then the retry's own INIT
}

// Without the early INIT a CPU still in the firmware's loop ignores a bare SIPI: the default
// round starts with INIT, so the same machine comes up.
TEST(ApStartup, TargetsNotInitedBeforeAreSentInitFirst) {
  FakeMachine m(cpus(2));
  std::vector<Target> t;
  const Summary s = run(m, t);
  EXPECT_EQ(s.online, 2u);
  EXPECT_EQ(m.log_.at(0).rfind("INIT", 0), 0u);
}

TEST(ApStartup, ManyCpusBeyondOneThousand) {
  FakeMachine m(cpus(1100));
  std::vector<Target> t;
  const Summary s = run(m, t, 256);
  EXPECT_EQ(s.online, 1100u);
  EXPECT_EQ(s.waves, 5u);
}

}  // namespace
