#include "kernel/time/tsc_sync.h"

namespace ktime {
namespace {

constexpr std::uint64_t kCheckerSide = 0;
constexpr std::uint64_t kTargetSide = 1;
constexpr unsigned kGoRoundShift = 48;
constexpr std::uint64_t kGoRoundMask = 0xFFFF;
constexpr std::uint64_t kGoAdjustMask = (std::uint64_t{1} << kGoRoundShift) - 1;
constexpr unsigned kRequestRoundShift = 32;
constexpr std::uint64_t kRequestCpuMask = 0xFFFF'FFFF;

std::uint64_t tag(std::uint32_t round, std::uint64_t side) {
  return (std::uint64_t{round} << 1) | side;
}

std::uint64_t go_word(std::uint32_t round, std::int64_t adjust) {
  return ((round & kGoRoundMask) << kGoRoundShift) |
         (static_cast<std::uint64_t>(adjust) & kGoAdjustMask);
}

bool go_is_for(std::uint64_t go, std::uint32_t round) {
  return (go >> kGoRoundShift) == (round & kGoRoundMask);
}

std::int64_t go_adjust(std::uint64_t go) {
  // Sign-extend the 48-bit field.
  const std::uint64_t field = go & kGoAdjustMask;
  const std::uint64_t sign = std::uint64_t{1} << (kGoRoundShift - 1);
  return static_cast<std::int64_t>((field ^ sign) - sign);
}


// Waits until `done()`, or `cycles` of this CPU's TSC passed, or `max_polls` polls (for a TSC
// that does not move); returns done().
template <typename Done>
bool wait_for(TscSyncPort& port, std::uint64_t cycles, std::uint64_t max_polls, Done done) {
  const std::uint64_t start = port.read_tsc_ordered();
  for (std::uint64_t polls = 0; !done(); ++polls) {
    // A TSC that went backwards gives a huge difference and ends the wait too.
    if (port.read_tsc_ordered() - start > cycles || polls >= max_polls) return done();
    port.relax();
  }
  return true;
}

void publish_result(TscSyncMailbox& box, std::uint32_t round, const WarpSide& s) {
  // Seqlock write without fences (ThreadSanitizer has none, and x86 needs none): the fields are
  // release stores after result_round = 0, so a reader whose acquire load sees any of them also
  // sees that 0 (or later) on its second look at result_round.
  box.result_round.store(0, std::memory_order_relaxed);
  box.result_max_warp.store(s.max_warp, std::memory_order_release);
  box.result_warps.store(s.warps, std::memory_order_release);
  box.result_handoffs.store(s.handoffs, std::memory_order_release);
  box.result_loops.store(s.loops, std::memory_order_release);
  box.result_min_gap.store(s.min_gap, std::memory_order_release);
  box.result_backwards.store(s.went_backwards, std::memory_order_release);
  box.result_round.store(round, std::memory_order_release);
}

// The target's side of `round`, if it is published whole; false if torn or not (yet) there.
bool read_result(TscSyncMailbox& box, std::uint32_t round, WarpSide& out) {
  if (box.result_round.load(std::memory_order_acquire) != round) return false;
  out.max_warp = box.result_max_warp.load(std::memory_order_acquire);
  out.warps = box.result_warps.load(std::memory_order_acquire);
  out.handoffs = box.result_handoffs.load(std::memory_order_acquire);
  out.loops = box.result_loops.load(std::memory_order_acquire);
  out.min_gap = box.result_min_gap.load(std::memory_order_acquire);
  out.went_backwards = box.result_backwards.load(std::memory_order_acquire);
  // A writer that started after the first look has set result_round to 0 before any field the
  // acquire loads above saw: the second look tells.
  return box.result_round.load(std::memory_order_relaxed) == round;
}

}  // namespace

void observe_warp(WarpSide& side, std::uint64_t prev_tsc, std::uint64_t prev_tag,
                  std::uint64_t now, std::uint64_t me) {
  if (prev_tag == 0 || (prev_tag >> 1) != (me >> 1)) return;  // nobody yet, or another round
  if (prev_tag == me) {
    if (now < prev_tsc) side.went_backwards = true;
    return;
  }
  ++side.handoffs;
  // The difference as a signed value: TSC values below 2^63 (centuries at 10 GHz).
  const std::int64_t gap = static_cast<std::int64_t>(now - prev_tsc);
  if (gap < side.min_gap) side.min_gap = gap;
  if (now < prev_tsc) {
    ++side.warps;
    if (prev_tsc - now > side.max_warp) side.max_warp = prev_tsc - now;
  }
}

WarpSide run_warp_window(TscSyncMailbox& box, std::uint64_t me, TscSyncPort& port,
                         const TscSyncTiming& t, std::uint64_t my_request) {
  WarpArena& arena = box.arena;
  const auto round = static_cast<std::uint32_t>(my_request >> kRequestRoundShift);
  WarpSide side;
  // Until the other side first shows up, the limit is answer_cycles (a virtual CPU may be
  // descheduled for a while); from that first hand-over on, window_cycles.
  std::uint64_t start = port.read_tsc_ordered();
  std::uint64_t limit = t.answer_cycles;
  // `tries` bounds the loop whether or not the lock is ever won.
  for (std::uint64_t tries = 0; tries < t.max_loops && side.handoffs < t.enough_handoffs;
       ++tries) {
    if (box.request.load(std::memory_order_relaxed) != my_request ||
        box.adjust_failed.load(std::memory_order_relaxed) == round) {
      break;
    }
    if (arena.lock.exchange(1, std::memory_order_acquire) != 0) {
      port.relax();
      if (port.read_tsc_ordered() - start > limit) break;
      continue;
    }
    const std::uint64_t prev_tsc = arena.last_tsc;
    const std::uint64_t prev_tag = arena.last_tag;
    if (prev_tag == me) {
      // Our own record is the last one: wait for the other side's turn (taking turns makes
      // every read after the first a hand-over, where a warp can show).
      arena.lock.store(0, std::memory_order_release);
      port.relax();
      if (port.read_tsc_ordered() - start > limit) break;
      continue;
    }
    const std::uint64_t now = port.read_tsc_ordered();
    arena.last_tsc = now;
    arena.last_tag = me;
    arena.lock.store(0, std::memory_order_release);
    ++side.loops;
    const std::uint64_t handoffs = side.handoffs;
    observe_warp(side, prev_tsc, prev_tag, now, me);
    if (handoffs == 0 && side.handoffs == 1) {
      start = now;
      limit = t.window_cycles;
    }
    if (now - start > limit) break;
  }
  return side;
}

SyncDecision decide_tsc_sync(const WarpSide& checker, const WarpSide& target, bool can_adjust,
                             unsigned adjustments_done) {
  SyncDecision d;
  d.warp = checker.max_warp > target.max_warp ? checker.max_warp : target.max_warp;
  if (checker.went_backwards || target.went_backwards) {
    d.verdict = SyncVerdict::kWarped;
    return d;
  }
  if (d.warp == 0) {
    d.verdict = (checker.handoffs != 0 && target.handoffs != 0) ? SyncVerdict::kInSync
                                                                : SyncVerdict::kInconclusive;
    return d;
  }
  if (d.warp > static_cast<std::uint64_t>(kMaxTscAdjust) || !can_adjust ||
      adjustments_done >= kMaxTscAdjustments) {
    d.verdict = SyncVerdict::kWarped;
    return d;
  }
  d.verdict = SyncVerdict::kAdjust;
  if (target.handoffs != 0 && checker.handoffs != 0) {
    std::int64_t twice = 0;
    if (!__builtin_sub_overflow(target.min_gap, checker.min_gap, &twice)) {
      const std::int64_t offset = twice / 2;
      if (offset != 0 && offset >= -kMaxTscAdjust && offset <= kMaxTscAdjust) {
        d.adjust = -offset;
        return d;
      }
    }
  }
  // One direction only (or no estimate): the warp itself. The target read less than the
  // checker had before: it is behind; the checker read less: the target is ahead.
  d.adjust = target.max_warp != 0 ? static_cast<std::int64_t>(target.max_warp)
                                  : -static_cast<std::int64_t>(checker.max_warp);
  return d;
}

RoundResult run_checker_round(TscSyncMailbox& box, std::uint32_t cpu, std::int64_t adjust,
                              TscSyncPort& port, const TscSyncTiming& t, TscSyncWake wake) {
  RoundResult r;
  std::uint32_t round = static_cast<std::uint32_t>(
      box.request.load(std::memory_order_relaxed) >> kRequestRoundShift) + 1;
  if (round == 0) round = 1;
  const std::uint64_t request = (std::uint64_t{round} << kRequestRoundShift) | cpu;
  box.go.store(go_word(round, adjust), std::memory_order_relaxed);
  box.window_cycles.store(t.window_cycles, std::memory_order_relaxed);
  // Release: a target that sees this request also sees the correction above.
  box.request.store(request, std::memory_order_release);
  if (wake.fn != nullptr) wake.fn(wake.ctx, cpu);
  // No separate start signal: the window itself waits (answer_cycles) for the target's first
  // turn, which saves a round trip per check.
  r.checker = run_warp_window(box, tag(round, kCheckerSide), port, t, request);
  if (box.adjust_failed.load(std::memory_order_acquire) == round) {
    r.answered = true;
    r.adjust_failed = true;
  } else if (r.checker.handoffs != 0) {
    // The target took turns, so it is in its window; it ends about when ours did, and then
    // publishes its side.
    r.answered = wait_for(port, t.answer_cycles + t.window_cycles, t.max_polls, [&] {
      return read_result(box, round, r.target);
    });
  }
  // Close the round: a target that wakes up for it late sees another request and does nothing.
  box.request.store((std::uint64_t{round} << kRequestRoundShift) | kRequestCpuMask,
                    std::memory_order_release);
  return r;
}

bool serve_target_round(TscSyncMailbox& box, std::uint32_t cpu, TscSyncPort& port,
                        const TscSyncTiming& t) {
  const std::uint64_t request = box.request.load(std::memory_order_acquire);
  const auto round = static_cast<std::uint32_t>(request >> kRequestRoundShift);
  if (round == 0 || (request & kRequestCpuMask) != cpu) return false;
  if (box.ready.load(std::memory_order_relaxed) == round) return false;  // served already
  box.ready.store(round, std::memory_order_relaxed);
  // Written before the request we saw (acquire): this round's correction, or a later round's
  // word if the checker has moved on, in which case this round is closed.
  const std::uint64_t go = box.go.load(std::memory_order_relaxed);
  if (!go_is_for(go, round)) return true;
  const std::int64_t adjust = go_adjust(go);
  if (adjust != 0 && !port.adjust_tsc(adjust)) {
    box.adjust_failed.store(round, std::memory_order_release);
    return true;
  }
  // Written before the request too; a later round's value only shortens this closed round.
  TscSyncTiming mine_t = t;
  const std::uint64_t window = box.window_cycles.load(std::memory_order_relaxed);
  if (window != 0 && window < mine_t.window_cycles) mine_t.window_cycles = window;
  const WarpSide mine = run_warp_window(box, tag(round, kTargetSide), port, mine_t, request);
  publish_result(box, round, mine);
  return true;
}

CpuSyncReport check_cpu_tsc(TscSyncMailbox& box, std::uint32_t cpu, TscSyncPort& port,
                            const TscSyncTiming& t, bool can_adjust, TscSyncWake wake) {
  CpuSyncReport rep;
  std::int64_t adjust = 0;
  unsigned adjustments = 0;
  bool retried_inconclusive = false;
  for (;;) {
    const RoundResult r = run_checker_round(box, cpu, adjust, port, t, wake);
    ++rep.rounds;
    if (!r.answered && !retried_inconclusive && adjust == 0) {
      // A virtual CPU can be descheduled for longer than the deadline: once more.
      retried_inconclusive = true;
      continue;
    }
    if (!r.answered) {
      rep.answered = false;
      rep.verdict = SyncVerdict::kInconclusive;
      return rep;
    }
    if (r.adjust_failed) {
      // The correction was not made: judge by the last round's warp.
      rep.verdict = SyncVerdict::kWarped;
      return rep;
    }
    rep.adjusted += adjust;
    const SyncDecision d = decide_tsc_sync(r.checker, r.target, can_adjust, adjustments);
    if (adjustments == 0 && d.warp > rep.first_warp) rep.first_warp = d.warp;
    rep.last_warp = d.warp;
    rep.handoffs = r.checker.handoffs + r.target.handoffs;
    rep.verdict = d.verdict;
    adjust = 0;
    if (d.verdict == SyncVerdict::kInconclusive && !retried_inconclusive) {
      retried_inconclusive = true;
      continue;
    }
    if (d.verdict != SyncVerdict::kAdjust) return rep;
    adjust = d.adjust;
    ++adjustments;
  }
}

}  // namespace ktime
