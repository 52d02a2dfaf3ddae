// Placement and balancing policy: pure functions over per-CPU load summaries. They decide;
// the scheduler (sched/scheduler.cc) carries out the decision under the runqueue locks, where
// each moved thread's affinity is checked again. The summaries are snapshots read without
// locks, so a decision can be stale; the worst outcome is a less balanced placement, never a
// broken invariant.
//
// `Loads` is any view with `std::uint32_t size() const` and `CpuLoad operator[](std::uint32_t)
// const` (the scheduler reads its runqueues' published counters; tests pass arrays).
#pragma once

#include <cstdint>

#include "smp/cpu_set.h"

namespace sched {

struct CpuLoad {
  std::uint32_t nr_running = 0;  // runnable threads including the current one, excluding idle
  std::uint64_t weight = 0;      // sum of their load weights (RT threads count as nice -20)
};

inline constexpr std::uint32_t kNoCpu = 0xFFFF'FFFF;

namespace detail {

// Lexicographic (nr_running, weight): fewer threads first, then lighter ones.
constexpr bool lighter(const CpuLoad& a, const CpuLoad& b) {
  return a.nr_running != b.nr_running ? a.nr_running < b.nr_running : a.weight < b.weight;
}

}  // namespace detail

// The least loaded CPU in `allowed` (ties: `prefer` if it is among them, else the lowest
// number), or kNoCpu if `allowed` holds no CPU below loads.size().
template <typename Loads>
std::uint32_t least_loaded_cpu(const smp::CpuSet& allowed, const Loads& loads,
                               std::uint32_t prefer = kNoCpu) {
  std::uint32_t best = kNoCpu;
  for (std::uint32_t c = allowed.next(0); c < loads.size(); c = allowed.next(c + 1)) {
    if (best == kNoCpu || detail::lighter(loads[c], loads[best])) {
      best = c;
    } else if (c == prefer && !detail::lighter(loads[best], loads[c])) {
      best = c;  // a tie: keep the preferred CPU's warm cache
    }
  }
  return best;
}

// Where a woken thread goes: its previous CPU if allowed and not overloaded, else the least
// loaded allowed CPU. "Overloaded": the previous CPU is busy while an allowed CPU is idle, or
// it runs more than one thread more than the least loaded allowed CPU. kNoCpu only if
// `allowed` is empty.
template <typename Loads>
std::uint32_t select_wake_cpu(std::uint32_t prev, const smp::CpuSet& allowed,
                              const Loads& loads) {
  std::uint32_t least = least_loaded_cpu(allowed, loads, prev);
  if (least == kNoCpu) return kNoCpu;
  if (prev >= loads.size() || !allowed.contains(platform::CpuNumber{prev})) return least;
  const CpuLoad& p = loads[prev];
  const CpuLoad& l = loads[least];
  bool overloaded = (p.nr_running > 0 && l.nr_running == 0) || p.nr_running > l.nr_running + 1;
  return overloaded ? least : prev;
}

// Where a new thread starts: the least loaded allowed CPU (ties: the lowest number).
template <typename Loads>
std::uint32_t select_start_cpu(const smp::CpuSet& allowed, const Loads& loads) {
  return least_loaded_cpu(allowed, loads);
}

// Whom an idle CPU steals from: the CPU with the most runnable threads among those with at
// least one thread waiting behind its current one (nr_running >= 2); kNoCpu if none.
template <typename Loads>
std::uint32_t select_steal_source(std::uint32_t self, const Loads& loads) {
  std::uint32_t best = kNoCpu;
  for (std::uint32_t c = 0; c < loads.size(); ++c) {
    if (c == self || loads[c].nr_running < 2) continue;
    if (best == kNoCpu || detail::lighter(loads[best], loads[c])) best = c;
  }
  return best;
}

struct BalancePlan {
  std::uint32_t source = kNoCpu;  // pull from here ...
  std::uint32_t count = 0;        // ... this many threads (0: nothing to do)
};

// Periodic balancing, run by each CPU for itself (it pulls, like Linux's load balancer): if the
// busiest CPU runs at least two threads more than `self`, pull half the difference. Moving
// fewer would leave the imbalance; moving more would reverse it.
template <typename Loads>
BalancePlan plan_balance(std::uint32_t self, const Loads& loads) {
  BalancePlan plan;
  if (self >= loads.size()) return plan;
  std::uint32_t busiest = kNoCpu;
  for (std::uint32_t c = 0; c < loads.size(); ++c) {
    if (c == self) continue;
    if (busiest == kNoCpu || detail::lighter(loads[busiest], loads[c])) busiest = c;
  }
  if (busiest == kNoCpu) return plan;
  std::uint32_t mine = loads[self].nr_running;
  std::uint32_t theirs = loads[busiest].nr_running;
  if (theirs < mine + 2) return plan;
  plan.source = busiest;
  plan.count = (theirs - mine) / 2;
  return plan;
}

}  // namespace sched
