#include "kernel/cpus/bringup/release_wait.h"

namespace kcpus::bringup {

JoinSummary await_joins(Target* targets, std::uint32_t count, std::uint64_t released_ns,
                        StartupPort& port, const Timing& timing) {
  JoinSummary s;
  std::uint64_t last_progress_ns = released_ns;
  for (;;) {
    std::uint32_t pending = 0;
    for (std::uint32_t i = 0; i < count; ++i) {
      Target& t = targets[i];
      if (t.outcome != Outcome::kOnline || t.progress == Progress::kJoined) continue;
      const std::uint32_t stage = port.stage(i);
      const std::uint64_t now = port.now_ns();
      if (port.classify(stage) == Progress::kJoined) {
        t.progress = Progress::kJoined;
        t.joined_ns = now;
        ++s.joined;
        if (now > last_progress_ns) last_progress_ns = now;
        continue;
      }
      if (now <= last_progress_ns || now - last_progress_ns <= timing.join_ns) {
        ++pending;
        continue;
      }
      if (!port.abandon(i, stage)) {
        // It joined just before our claim: the next pass sees its new stage.
        ++pending;
        continue;
      }
      t.outcome = Outcome::kFailed;
      t.abandoned = true;
      t.stage = stage;
      ++s.abandoned;
    }
    if (pending == 0) return s;
    port.relax();
  }
}

}  // namespace kcpus::bringup
