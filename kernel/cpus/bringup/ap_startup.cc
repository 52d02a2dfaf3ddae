#include "kernel/cpus/bringup/ap_startup.h"

namespace kcpus::bringup {
namespace {

class Wave {
 public:
  Wave(Target* t, std::uint32_t first, std::uint32_t count, StartupPort& port,
       const Timing& timing, Summary& summary)
      : t_(t), first_(first), end_(first + count), port_(port), timing_(timing), s_(summary) {}

  void run() {
    port_.begin_wave(t_, first_, end_ - first_);
    for (std::uint32_t i = first_; i < end_; ++i) {
      // Targets the caller already failed (e.g. unaddressable) are left alone.
      t_[i].in_round = t_[i].outcome == Outcome::kPending;
    }
    start_round();
    while (poll()) port_.relax();
  }

 private:
  // One INIT-SIPI-SIPI round for every target marked in_round, with the delays shared by all
  // of them (that sharing is what makes the start-up parallel).
  void start_round() {
    bool any = false, inited = false;
    for (std::uint32_t i = first_; i < end_; ++i) {
      if (!t_[i].in_round) continue;
      if (s_.first_init_ns == 0) s_.first_init_ns = port_.now_ns();
      any = true;
      // A target the early INIT left waiting for its SIPI needs no second INIT in its first
      // round; a retry always starts with one.
      if (!timing_.already_inited || t_[i].rounds != 0) {
        port_.send_init(t_[i].apic_id);
        inited = true;
      }
      ++t_[i].rounds;
    }
    if (!any) return;
    // The INIT delay lets the target's APIC finish its reset before it can accept a SIPI.
    if (inited) port_.delay_ns(timing_.init_delay_ns);
    for (std::uint32_t i = first_; i < end_; ++i) {
      if (t_[i].in_round) port_.send_startup(t_[i].apic_id);
    }
    // The SDM's second SIPI covers a first one the target missed; a target that did take the
    // first ignores it, and one already in the trampoline is not sent it at all.
    port_.delay_ns(timing_.sipi_gap_ns);
    for (std::uint32_t i = first_; i < end_; ++i) {
      if (!t_[i].in_round) continue;
      if (port_.classify(port_.stage(i)) == Progress::kNothing) port_.send_startup(t_[i].apic_id);
    }
    const std::uint64_t now = port_.now_ns();
    for (std::uint32_t i = first_; i < end_; ++i) {
      if (!t_[i].in_round) continue;
      t_[i].round_start_ns = now;
      t_[i].sipi_ns = now;
      t_[i].arrived_ns = 0;
      t_[i].in_kernel_ns = 0;
      t_[i].stage_change_ns = 0;
      t_[i].in_round = false;
    }
  }

  // The stage profile: the first time each step is seen (a skipped one: now too).
  static void note_progress(Target& t, std::uint64_t now) {
    if (t.progress == Progress::kNothing) return;
    if (t.arrived_ns == 0) t.arrived_ns = now;
    if (t.progress != Progress::kArrived && t.in_kernel_ns == 0) t.in_kernel_ns = now;
  }

  void fail(std::uint32_t i, bool parked) {
    Target& t = t_[i];
    // INIT puts it back into wait-for-SIPI: it cannot keep running start-up code, and the
    // trampoline page is wiped before anything could send it another SIPI.
    port_.send_init(t.apic_id);
    t.outcome = Outcome::kFailed;
    t.parked = parked;
    ++s_.failed;
  }

  // One pass over the wave. Returns whether anything is still pending.
  bool poll() {
    bool retry = false;
    std::uint32_t pending = 0;
    for (std::uint32_t i = first_; i < end_; ++i) {
      Target& t = t_[i];
      if (t.outcome != Outcome::kPending) continue;
      const std::uint32_t stage = port_.stage(i);
      const std::uint64_t now = port_.now_ns();
      if (stage != t.stage) t.stage_change_ns = now;
      t.stage = stage;
      t.progress = port_.classify(t.stage);
      note_progress(t, now);
      switch (t.progress) {
        case Progress::kOnline:
        case Progress::kJoined:  // only after the release; seen here it is online all the same
          t.outcome = Outcome::kOnline;
          t.online_ns = now;
          if (now > s_.last_online_ns) s_.last_online_ns = now;
          ++s_.online;
          continue;
        case Progress::kParked:
          fail(i, true);
          continue;
        case Progress::kNothing:
        case Progress::kArrived:
        case Progress::kInKernel:
          break;
      }
      // Nothing yet: measured from the round's start. Arrived: from its last stage change.
      const bool waiting_to_arrive = t.progress == Progress::kNothing || t.stage_change_ns == 0;
      const std::uint64_t since = waiting_to_arrive ? t.round_start_ns : t.stage_change_ns;
      const std::uint64_t limit = waiting_to_arrive ? timing_.arrive_ns : timing_.online_ns;
      if (now - since <= limit) {
        ++pending;
        continue;
      }
      if (t.progress == Progress::kInKernel) {
        if (!port_.abandon(i, t.stage)) {
          // It took its next step just before our claim: progress, seen on the next pass.
          ++pending;
          continue;
        }
        t.outcome = Outcome::kFailed;
        t.abandoned = true;
        ++s_.failed;
        continue;
      }
      if (t.rounds < timing_.max_rounds) {
        // Silence it before forgetting its stage, so a slow target cannot write an old stage
        // after the reset; the round below sends this INIT again as its first step.
        port_.send_init(t.apic_id);
        port_.reset_stage(i);
        t.stage = 0;  // so the stage it shows in the new round counts as a change
        t.in_round = true;
        retry = true;
        ++s_.retried;
        ++pending;
      } else {
        fail(i, false);
      }
    }
    if (retry) start_round();
    return pending != 0;
  }

  Target* t_;
  std::uint32_t first_, end_;
  StartupPort& port_;
  const Timing& timing_;
  Summary& s_;
};

}  // namespace

Summary start_all(Target* targets, std::uint32_t count, std::uint32_t wave_size,
                  StartupPort& port, const Timing& timing) {
  Summary s;
  if (wave_size == 0) wave_size = 1;
  for (std::uint32_t first = 0; first < count; first += wave_size) {
    const std::uint32_t n = count - first < wave_size ? count - first : wave_size;
    Wave(targets, first, n, port, timing, s).run();
    ++s.waves;
  }
  return s;
}

}  // namespace kcpus::bringup
