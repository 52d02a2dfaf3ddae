// Placement and balancing policy: pure functions over per-CPU load summaries. They decide;
// the scheduler (sched/scheduler.cc) carries out the decision under the runqueue locks, where
// each moved thread's affinity is checked again. The summaries are snapshots read without
// locks, so a decision can be stale; the worst outcome is a less balanced placement, never a
// broken invariant.
//
// CPUs are platform::CpuNumber in and out. `Loads` is any view with `std::uint32_t size() const`
// and `CpuLoad operator[](std::uint32_t index) const`, indexed by platform::to_index (the
// scheduler reads its runqueues' published counters; tests pass arrays).
#pragma once

#include <cstdint>

#include "smp/cpu_set.h"
#include "smp/platform/platform.h"

namespace sched {

struct CpuLoad {
  std::uint32_t nr_running = 0;  // runnable threads including the current one, excluding idle
  std::uint64_t weight = 0;      // sum of their load weights (RT threads count as nice -20)
};

// "No CPU": the answer when no CPU qualifies. Never a valid index (above smp::kMaxCpus).
inline constexpr platform::CpuNumber kNoCpu{0xFFFF'FFFF};

namespace detail {

// Lexicographic (nr_running, weight): fewer threads first, then lighter ones.
constexpr bool lighter(const CpuLoad& a, const CpuLoad& b) {
  return a.nr_running != b.nr_running ? a.nr_running < b.nr_running : a.weight < b.weight;
}

}  // namespace detail

// The least loaded CPU in `allowed` (ties: `prefer` if it is among them, else the lowest
// number), or kNoCpu if `allowed` holds no CPU below loads.size().
template <typename Loads>
platform::CpuNumber least_loaded_cpu(const smp::CpuSet& allowed, const Loads& loads,
                                     platform::CpuNumber prefer = kNoCpu) {
  constexpr std::uint32_t kNone = platform::to_index(kNoCpu);
  std::uint32_t best = kNone;
  for (std::uint32_t c = allowed.next(0); c < loads.size(); c = allowed.next(c + 1)) {
    if (best == kNone || detail::lighter(loads[c], loads[best])) {
      best = c;
    } else if (c == platform::to_index(prefer) && !detail::lighter(loads[best], loads[c])) {
      best = c;  // a tie: keep the preferred CPU's warm cache
    }
  }
  return platform::CpuNumber{best};
}

// Where a woken thread goes: its previous CPU if allowed and not overloaded, else the least
// loaded allowed CPU. "Overloaded": the previous CPU is busy while an allowed CPU is idle, or
// it runs more than one thread more than the least loaded allowed CPU. kNoCpu only if
// `allowed` is empty.
template <typename Loads>
platform::CpuNumber select_wake_cpu(platform::CpuNumber prev, const smp::CpuSet& allowed,
                                    const Loads& loads) {
  const platform::CpuNumber least = least_loaded_cpu(allowed, loads, prev);
  if (least == kNoCpu) return kNoCpu;
  if (platform::to_index(prev) >= loads.size() || !allowed.contains(prev)) return least;
  const CpuLoad& p = loads[platform::to_index(prev)];
  const CpuLoad& l = loads[platform::to_index(least)];
  bool overloaded = (p.nr_running > 0 && l.nr_running == 0) || p.nr_running > l.nr_running + 1;
  return overloaded ? least : prev;
}

// Where a new thread starts: the least loaded allowed CPU (ties: the lowest number).
template <typename Loads>
platform::CpuNumber select_start_cpu(const smp::CpuSet& allowed, const Loads& loads) {
  return least_loaded_cpu(allowed, loads);
}

// Whom an idle CPU steals from: the CPU with the most runnable threads among those with at
// least one thread waiting behind its current one (nr_running >= 2); kNoCpu if none.
template <typename Loads>
platform::CpuNumber select_steal_source(platform::CpuNumber self, const Loads& loads) {
  constexpr std::uint32_t kNone = platform::to_index(kNoCpu);
  std::uint32_t best = kNone;
  for (std::uint32_t c = 0; c < loads.size(); ++c) {
    if (c == platform::to_index(self) || loads[c].nr_running < 2) continue;
    if (best == kNone || detail::lighter(loads[best], loads[c])) best = c;
  }
  return platform::CpuNumber{best};
}

struct BalancePlan {
  platform::CpuNumber source = kNoCpu;  // pull from here ...
  std::uint32_t count = 0;              // ... this many threads (0: nothing to do)
};

// Periodic balancing, run by each CPU for itself (it pulls, like Linux's load balancer): if the
// busiest CPU runs at least two threads more than `self`, pull half the difference. Moving
// fewer would leave the imbalance; moving more would reverse it.
template <typename Loads>
BalancePlan plan_balance(platform::CpuNumber self, const Loads& loads) {
  BalancePlan plan;
  const std::uint32_t me = platform::to_index(self);
  if (me >= loads.size()) return plan;
  constexpr std::uint32_t kNone = platform::to_index(kNoCpu);
  std::uint32_t busiest = kNone;
  for (std::uint32_t c = 0; c < loads.size(); ++c) {
    if (c == me) continue;
    if (busiest == kNone || detail::lighter(loads[busiest], loads[c])) busiest = c;
  }
  if (busiest == kNone) return plan;
  std::uint32_t mine = loads[me].nr_running;
  std::uint32_t theirs = loads[busiest].nr_running;
  if (theirs < mine + 2) return plan;
  plan.source = platform::CpuNumber{busiest};
  plan.count = (theirs - mine) / 2;
  return plan;
}

}  // namespace sched
