// The fair class: EEVDF (Earliest Eligible Virtual Deadline First), as Linux 6.6+ does it.
// docs/scheduling.md derives the maths; in short, for a runqueue with entities i:
//   vruntime v_i  advances by runtime * 1024 / w_i while i runs;
//   V = sum(w_i v_i) / sum(w_i)            the load-weighted average vruntime (ideal service);
//   lag_i = w_i (V - v_i)                  service owed to i; i is eligible when lag_i >= 0;
//   vd_i = v_i + slice * 1024 / w_i        virtual deadline of i's current request.
// pick() returns the eligible entity with the earliest virtual deadline.
//
// The tree is ordered by deadline and augmented with each subtree's minimum vruntime, so the
// pick is one root-to-leaf walk: go left while the left subtree holds an eligible entity.
// V is kept as sums relative to `zero_` (the queue's minimum vruntime) so they stay small;
// enqueue, dequeue and charge update them in O(1), nothing recomputes V from the entities.
// The tree caches its leftmost node: when the earliest deadline is eligible, pick is O(1). It
// caches its rightmost node too: an entity whose deadline is the latest (the one just charged,
// in a round robin of equal threads) is inserted there without a root-to-leaf descent.
//
// The running entity (`curr`) is not in the tree, as in Linux; functions whose answer depends
// on it take it as an argument. Not thread-safe: the owning runqueue's lock protects it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sched/rbtree.h"

namespace sched {

struct Thread;

inline constexpr std::uint64_t kDefaultSliceNs = 3'000'000;  // Linux's base slice: 3 ms
inline constexpr std::uint64_t kTickNs = 1'000'000;          // the tick the lag limit assumes

// The fields a tree operation reads (links, deadline, vruntime, min_vruntime, weight, queued)
// come first and fit in 64 bytes: the pick, insert and augmented updates touch one cache line
// of each node when the entity starts on a line, at most two otherwise.
struct FairEntity {
  RbNode node;  // first: a node is converted back to its entity by address
  std::uint64_t deadline = 0;      // virtual deadline: the tree's order
  std::uint64_t vruntime = 0;
  std::uint64_t min_vruntime = 0;  // augmented: minimum vruntime in this node's subtree
  std::uint32_t weight = 1024;
  bool queued = false;             // in the tree
  std::int64_t vlag = 0;           // V - vruntime when it left its queue (virtual time)
  std::uint64_t slice_ns = kDefaultSliceNs;
  std::uint64_t sum_exec_ns = 0;   // total runtime charged
  Thread* thread = nullptr;

  static FairEntity& of(RbNode& n) { return *reinterpret_cast<FairEntity*>(&n); }
  static const FairEntity& of(const RbNode& n) { return *reinterpret_cast<const FairEntity*>(&n); }
};
static_assert(std::is_standard_layout_v<FairEntity>, "node-to-entity cast needs standard layout");
static_assert(offsetof(FairEntity, queued) < 64, "the tree's hot fields fit in 64 bytes");

// Signed distance a - b of two virtual times (they wrap as unsigned).
constexpr std::int64_t vdiff(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::int64_t>(a - b);
}

class FairQueue {
 public:
  struct Traits {
    static bool less(const RbNode& a, const RbNode& b) {
      return vdiff(FairEntity::of(a).deadline, FairEntity::of(b).deadline) < 0;
    }
    static bool update(RbNode& n);
    static void copy(const RbNode& from, RbNode& to) {
      FairEntity::of(to).min_vruntime = FairEntity::of(from).min_vruntime;
    }
  };

  constexpr FairQueue() = default;

  // Inserts `e` with its vruntime and deadline as they are (see place()). Needs: e's vruntime
  // near the queue's (|v - zero()| times the queue's load below 2^63: the sums are 64-bit);
  // place() puts it at V - lag.
  void enqueue(FairEntity& e);
  // Removes `e` (queued) from the tree.
  void dequeue(FairEntity& e);

  // The eligible entity with the earliest virtual deadline among the queued ones, counting
  // `curr` (running, not queued; may be null) in V; among equal deadlines the one enqueued
  // first. Null when the tree is empty. If no queued entity is eligible (possible only when
  // curr holds all the positive lag), the earliest deadline. O(1) when the earliest deadline
  // is eligible (the common case), else one root-to-leaf walk. Reads only; no cached state.
  FairEntity* pick(const FairEntity* curr) const;

  // V, counting `curr`. With nothing queued and no curr: the last zero point.
  std::uint64_t avg_vruntime(const FairEntity* curr) const;
  // lag >= 0, i.e. v_e <= V, computed without division.
  bool eligible(const FairEntity& e, const FairEntity* curr) const;

  // Sets a joining entity's vruntime and deadline from its saved lag: v = V - lag', where lag'
  // is the lag inflated by (W + w) / W so that adding e does not dilute it (Linux
  // place_entity). `fresh`: a new thread, lag 0 and half a slice to its first deadline.
  void place(FairEntity& e, const FairEntity* curr, bool fresh) const;
  // Records e's lag (V - v, clamped to about two slices) when it leaves the queue for good
  // (sleep, migration). `e` may be curr or queued; call before dequeue().
  void save_lag(FairEntity& e, const FairEntity* curr) const;

  // Charges `delta_ns` of runtime to the running entity (not queued). Returns true when its
  // request is complete (vruntime passed its deadline): it then gets a new deadline, and the
  // caller should reschedule if anything else is queued.
  bool charge(FairEntity& curr, std::uint64_t delta_ns);

  // The running entity `curr` (not in the tree) yields; call before enqueueing it again. It
  // forfeits the rest of its request: vruntime moves to its deadline (if eligible) and it gets
  // a new deadline one request later, so a yield loop lets ineligible runnable threads become
  // eligible within a bounded number of yields.
  void yield(FairEntity& curr) const;

  // Whether `woken` should preempt the running `curr` (wake-up preemption): woken is eligible
  // and its deadline is earlier, or curr is no longer eligible.
  bool should_preempt(const FairEntity& curr, const FairEntity& woken) const;

  std::uint32_t count() const { return count_; }
  std::uint64_t load() const { return sum_weight_; }  // sum of queued weights
  const RbTree<Traits>& tree() const { return tree_; }
  std::uint64_t zero() const { return zero_; }

 private:
  std::int64_t key(const FairEntity& e) const { return vdiff(e.vruntime, zero_); }
  // V as the exact fraction zero_ + sum / load (curr included); v <= V iff the test holds.
  struct Avg {
    std::int64_t sum;
    std::int64_t load;
  };
  Avg avg_sums(const FairEntity* curr) const;
  bool eligible_vruntime(std::uint64_t vruntime, Avg avg) const;
  void rebase(const FairEntity* curr);

  RbTree<Traits> tree_;
  std::uint64_t zero_ = 0;       // reference point of the keys: the minimum vruntime seen
  std::int64_t sum_wkey_ = 0;    // sum over queued entities of w_i * (v_i - zero_)
  std::uint64_t sum_weight_ = 0; // sum over queued entities of w_i
  std::uint32_t count_ = 0;
};

// Virtual time of `ns` real nanoseconds at `weight` (ns * 1024 / weight).
std::uint64_t virtual_delta(std::uint64_t ns, std::uint32_t weight);

}  // namespace sched
