// The cross-CPU TSC check (the idea of Linux's arch/x86/kernel/tsc_sync.c): two CPUs take turns,
// under one lock, reading their TSC and storing it as "the last value read"; a value read later
// on one CPU that is smaller than the one the other CPU stored before it is a warp, proof that
// the two TSCs disagree by at least that much. Pure logic over a port (the kernel's reads the
// TSC and IA32_TSC_ADJUST; host tests use fake TSCs and run the two sides on threads).
//
// One check pairs the boot CPU ("checker") with one AP ("target") through a TscSyncMailbox:
//   checker: posts a round (with the TSC_ADJUST change the target is to make first) and starts
//   its window; target: sees the round, makes the change, joins the window; after it, the target
//   publishes its side and the checker decides (decide_tsc_sync).
// Every wait on either side has a deadline; a round is tagged with a sequence number, so a target
// that wakes up late for a round the checker gave up on changes nothing.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>

namespace ktime {

// One CPU's TSC, ordered: the read happens after the loads before it (the lock and the last
// value), so the two CPUs' reads are ordered as the lock orders them.
class TscSyncPort {
 public:
  virtual std::uint64_t read_tsc_ordered() = 0;
  virtual void relax() = 0;
  // Target side: adds `delta` to this CPU's TSC (IA32_TSC_ADJUST). False if it cannot.
  virtual bool adjust_tsc(std::int64_t delta) = 0;

 protected:
  ~TscSyncPort() = default;
};

// What one side saw in one window.
struct WarpSide {
  std::uint64_t max_warp = 0;   // largest (earlier value of the other CPU - later value here)
  std::uint64_t warps = 0;      // how many reads were warps
  std::uint64_t handoffs = 0;   // reads that followed the other CPU's (a warp could be seen)
  std::uint64_t loops = 0;
  // The smallest (value here - the other CPU's value just before) over the hand-overs: the
  // offset of this CPU's TSC from the other's plus the shortest hand-over time (negative: a warp).
  std::int64_t min_gap = kNoGap;
  bool went_backwards = false;  // this CPU's own TSC went backwards (never for a sane TSC)

  static constexpr std::int64_t kNoGap = INT64_MAX;
};

// The records the two sides share in a window; the lock orders them.
struct WarpArena {
  std::atomic<std::uint32_t> lock{0};
  // Guarded by lock: the last TSC value read and the tag (round << 1 | side) of who read it.
  std::uint64_t last_tsc = 0;
  std::uint64_t last_tag = 0;
};

// Folds one read into `side`: `now` read by `me` right after the previous record (prev_tsc by
// prev_tag). Only records of the same round count; 0 is "nobody yet".
void observe_warp(WarpSide& side, std::uint64_t prev_tsc, std::uint64_t prev_tag,
                  std::uint64_t now, std::uint64_t me);

// What to do after a round.
enum class SyncVerdict : std::uint8_t {
  kInSync,        // both sides handed over and neither saw a warp
  kInconclusive,  // a side never saw the other's records: a warp could not have been seen
  kAdjust,        // warped; correct the target's TSC_ADJUST by `adjust` and check again
  kWarped,        // warped and no (more) correction possible
};
struct SyncDecision {
  SyncVerdict verdict = SyncVerdict::kInconclusive;
  std::int64_t adjust = 0;    // kAdjust: cycles to add to the target's TSC
  std::uint64_t warp = 0;     // the larger of the two sides' max_warp
};

inline constexpr unsigned kMaxTscAdjustments = 3;
// The largest correction the mailbox can carry (48-bit field): about 4 hours of a 10 GHz TSC.
inline constexpr std::int64_t kMaxTscAdjust = (std::int64_t{1} << 47) - 1;

// On a warp, the target's offset from the checker is estimated from both directions, as NTP
// does: target.min_gap = offset + h1 and checker.min_gap = -offset + h2 (h: shortest hand-over
// times), so offset ~ (target.min_gap - checker.min_gap) / 2, off by half the difference of the
// hand-over times only; the correction is minus that. A residual warp gets another round (at
// most kMaxTscAdjustments). A TSC that went backwards on one CPU, or a warp larger than
// kMaxTscAdjust, is kWarped outright.
SyncDecision decide_tsc_sync(const WarpSide& checker, const WarpSide& target, bool can_adjust,
                             unsigned adjustments_done);

// The handshake's shared state. One round at a time; only the checker posts rounds. The words
// the two sides act on are single 64-bit atomics, so a side never sees half of a request.
struct TscSyncMailbox {
  // round << 32 | target CPU: the checker's current round (0: none yet).
  std::atomic<std::uint64_t> request{0};
  std::atomic<std::uint32_t> ready{0};          // the last round a target took up
  // (round & 0xFFFF) << 48 | the TSC_ADJUST change (48-bit two's complement) the target makes
  // before its window, written before `request`: a target that sees a round reads its change.
  std::atomic<std::uint64_t> go{0};
  // The checker's window_cycles for the round, written before `request`: the target's window
  // is as long as the checker's.
  std::atomic<std::uint64_t> window_cycles{0};
  std::atomic<std::uint32_t> adjust_failed{0};  // a round whose correction the target could not make
  // The target's WarpSide, published seqlock-style: result_round 0 while written, then the round.
  std::atomic<std::uint32_t> result_round{0};
  std::atomic<std::uint64_t> result_max_warp{0}, result_warps{0}, result_handoffs{0},
      result_loops{0};
  std::atomic<std::int64_t> result_min_gap{0};
  std::atomic<bool> result_backwards{false};
  WarpArena arena;
};

struct TscSyncTiming {
  std::uint64_t enough_handoffs = 0;  // a window ends once a side has seen this many
  std::uint64_t window_cycles = 0;  // longest warp window after the first hand-over, in each
                                    // CPU's own TSC cycles
  std::uint64_t max_loops = 0;      // iteration bound of a window
  std::uint64_t answer_cycles = 0;  // how long either side waits for the other's next step
  std::uint64_t max_polls = 0;      // iteration bound of such a wait (a TSC that does not move)
};

// One side's loop: until it has seen `enough_handoffs` hand-overs, or its own TSC has advanced
// by `window_cycles` since the first one (by `answer_cycles` from the start while there is
// none), or after `max_loops` tries (bounds the window for a TSC that does not
// move), take the lock; if the last record is the other side's (or none), read it, read the TSC,
// store it with `me`; release; observe_warp each time. The sides thus take turns, and every read
// after the first is a hand-over; since they alternate, when one side has seen enough the other
// gets one more turn at most and has seen enough too, so neither waits out the window for
// nothing. It stops early when box.request is no longer `my_request` (the round was closed) or
// the target reported that it could not make the round's correction (adjust_failed).
WarpSide run_warp_window(TscSyncMailbox& box, std::uint64_t me, TscSyncPort& port,
                         const TscSyncTiming& t, std::uint64_t my_request);

// What one round gave the checker.
struct RoundResult {
  bool answered = false;  // false: the target missed a deadline (nothing below is valid)
  bool adjust_failed = false;
  WarpSide checker;
  WarpSide target;
};

// Called by the checker right after it has posted a round for `cpu`, for a target that waits
// halted until woken (an interrupt); null when the target polls.
struct TscSyncWake {
  void (*fn)(const void* ctx, std::uint32_t cpu) = nullptr;
  const void* ctx = nullptr;
};

// Checker side of one round with CPU `cpu`: asks it to add `adjust` to its TSC first (0: no
// change), wakes it, runs the window with it, collects its side. Bounded by `t`.
RoundResult run_checker_round(TscSyncMailbox& box, std::uint32_t cpu, std::int64_t adjust,
                              TscSyncPort& port, const TscSyncTiming& t,
                              TscSyncWake wake = {});

// Target side: if the mailbox holds a round for `cpu` that is not yet answered (`ready` differs),
// serves it (bounded by `t`, with the round's window_cycles if shorter) and returns true;
// otherwise returns false at once. Called in a loop by an AP waiting to be released.
bool serve_target_round(TscSyncMailbox& box, std::uint32_t cpu, TscSyncPort& port,
                        const TscSyncTiming& t);

// The whole check of one CPU: rounds until in sync, or warped with no correction left, or the
// round budget (1 + kMaxTscAdjustments + 1 retry of an inconclusive or unanswered round) is
// spent.
struct CpuSyncReport {
  SyncVerdict verdict = SyncVerdict::kInconclusive;
  bool answered = true;
  std::uint64_t first_warp = 0;  // largest warp before any correction
  std::uint64_t last_warp = 0;   // warp of the last round
  std::int64_t adjusted = 0;     // total TSC_ADJUST change made
  unsigned rounds = 0;
  std::uint64_t handoffs = 0;    // of the last round, both sides
};
CpuSyncReport check_cpu_tsc(TscSyncMailbox& box, std::uint32_t cpu, TscSyncPort& port,
                            const TscSyncTiming& t, bool can_adjust, TscSyncWake wake = {});

}  // namespace ktime
