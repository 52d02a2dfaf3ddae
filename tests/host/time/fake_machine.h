// A simulated machine for the TSC calibration: one virtual time base (picoseconds) that every
// read advances by a fixed step, a TSC and reference clocks derived from it, CPUID leaves and a
// PIT result set by the test. Nothing here sleeps or looks at the host clock.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "kernel/time/tsc_rate.h"

namespace ktime_test {

constexpr std::uint64_t kPsPerSecond = 1'000'000'000'000;

struct VirtualTime {
  std::uint64_t ps = 0;
  std::uint64_t step_ps = 20'000;  // every read of a TSC or reference takes 20 ns
  std::uint64_t advance() { return ps += step_ps; }
};

// A counter of `hz` ticks per second of virtual time (ticks = ps * hz / 1e12).
inline std::uint64_t ticks_at(std::uint64_t ps, std::uint64_t hz) {
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(ps) * hz / kPsPerSecond);
}

// A reference clock: claims `claimed_hz` and `mask`, counts at true_hz (normally the same) from
// `start`; stuck = the counter never moves.
class FakeReference final : public ktime::ReferenceClock {
 public:
  FakeReference(VirtualTime& time, const char* name, std::uint64_t hz, std::uint64_t mask)
      : time_(time), name_(name), claimed_hz_(hz), true_hz_(hz), mask_(mask) {}

  const char* name() const override { return name_; }
  std::uint64_t hz() const override { return claimed_hz_; }
  std::uint64_t mask() const override { return mask_; }
  std::uint64_t read() override {
    ++reads;
    const std::uint64_t ps = time_.advance();
    if (stuck) return start & mask_;
    return (start + ticks_at(ps, true_hz_)) & mask_;
  }

  void set_true_hz(std::uint64_t hz) { true_hz_ = hz; }

  std::uint64_t start = 0;
  bool stuck = false;
  std::uint64_t reads = 0;

 private:
  VirtualTime& time_;
  const char* name_;
  std::uint64_t claimed_hz_;
  std::uint64_t true_hz_;
  std::uint64_t mask_;
};

// A TSC on the virtual time base: `hz`, or a schedule of rates (each until a virtual time, the
// last one for ever) to make measurement windows disagree.
class FakeTsc final : public ktime::TscReader {
 public:
  struct Segment {
    std::uint64_t until_ps;
    std::uint64_t hz;
  };
  FakeTsc(VirtualTime& time, std::uint64_t hz) : time_(time), segments_{{~0ull, hz}} {}
  std::uint64_t read_tsc() override { return at(time_.advance()); }
  void schedule(std::vector<Segment> segments) { segments_ = std::move(segments); }

 private:
  std::uint64_t at(std::uint64_t ps) const {
    std::uint64_t ticks = 0, from = 0;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
      const bool last = i + 1 == segments_.size();
      const std::uint64_t until = last ? ~0ull : segments_[i].until_ps;
      if (ps <= until) return ticks + ticks_at(ps - from, segments_[i].hz);
      ticks += ticks_at(until - from, segments_[i].hz);
      from = until;
    }
    return ticks;
  }

  VirtualTime& time_;
  std::vector<Segment> segments_;
};

// The whole platform: CPUID leaves (absent ones read as zeros; leaf 0 EAX is the highest leaf),
// optional HPET and PM timer, a PIT result. Counts what the rate search touched.
class FakeRatePlatform final : public ktime::TscRatePlatform {
 public:
  explicit FakeRatePlatform(std::uint64_t tsc_hz) : tsc_(time, tsc_hz) {}

  std::uint64_t read_tsc() override { return tsc_.read_tsc(); }
  ktime::CpuidLeaf cpuid(std::uint32_t leaf) override {
    auto it = leaves.find(leaf);
    return it == leaves.end() ? ktime::CpuidLeaf{} : it->second;
  }
  ktime::ReferenceClock* hpet(const char** why) override {
    ++hpet_opens;
    if (hpet_ref == nullptr) *why = "no HPET table";
    return hpet_ref;
  }
  ktime::ReferenceClock* pm_timer(const char** why) override {
    ++pm_timer_opens;
    if (pm_ref == nullptr) *why = "no PM timer in the FADT";
    return pm_ref;
  }
  std::uint64_t pit_tsc_hz(const char** why) override {
    ++pit_runs;
    if (pit_hz == 0) *why = "PIT channel 2 never reached terminal count";
    return pit_hz;
  }

  // Intel CPU with the given highest leaf and family 6 model.
  void intel(std::uint32_t max_leaf, std::uint32_t model) {
    leaves[0] = {max_leaf, 0x756E6547, 0x6C65746E, 0x49656E69};
    leaves[1] = {(6u << 8) | ((model & 0xF) << 4) | ((model >> 4) << 16), 0, 0, 0};
  }

  void schedule_tsc(std::vector<FakeTsc::Segment> segments) { tsc_.schedule(std::move(segments)); }

  VirtualTime time;
  std::map<std::uint32_t, ktime::CpuidLeaf> leaves;
  ktime::ReferenceClock* hpet_ref = nullptr;
  ktime::ReferenceClock* pm_ref = nullptr;
  std::uint64_t pit_hz = 0;
  int hpet_opens = 0, pm_timer_opens = 0, pit_runs = 0;

 private:
  FakeTsc tsc_;
};

}  // namespace ktime_test
