#include "sched/fair_queue.h"

#include "sched/weight.h"

namespace sched {

std::uint64_t virtual_delta(std::uint64_t ns, std::uint32_t weight) {
  // Nice 0 (most threads) is the identity: skip the division (exact, as Linux's
  // calc_delta_fair).
  if (weight == kNiceZeroWeight) return ns;
  return scale_runtime(ns, weight);
}

bool FairQueue::Traits::update(RbNode& n) {
  FairEntity& e = FairEntity::of(n);
  std::uint64_t m = e.vruntime;
  if (n.left && vdiff(FairEntity::of(*n.left).min_vruntime, m) < 0) {
    m = FairEntity::of(*n.left).min_vruntime;
  }
  if (n.right && vdiff(FairEntity::of(*n.right).min_vruntime, m) < 0) {
    m = FairEntity::of(*n.right).min_vruntime;
  }
  bool changed = e.min_vruntime != m;
  e.min_vruntime = m;
  return changed;
}

void FairQueue::enqueue(FairEntity& e) {
  e.min_vruntime = e.vruntime;
  tree_.insert(e.node);
  e.queued = true;
  ++count_;
  sum_weight_ += e.weight;
  sum_wkey_ += key(e) * static_cast<std::int64_t>(e.weight);
}

void FairQueue::dequeue(FairEntity& e) {
  tree_.erase(e.node);
  e.queued = false;
  --count_;
  sum_weight_ -= e.weight;
  sum_wkey_ -= key(e) * static_cast<std::int64_t>(e.weight);
  if (count_ == 0) sum_wkey_ = 0;  // no rounding residue survives an empty queue
}

// Moves zero_ to the smallest queued vruntime (or curr's) so that the keys stay small:
// every key shifts by the same amount, so the weighted sum shifts by sum_weight_ times it.
void FairQueue::rebase(const FairEntity* curr) {
  bool have = false;
  std::uint64_t m = 0;
  if (tree_.root()) {
    m = FairEntity::of(*tree_.root()).min_vruntime;
    have = true;
  }
  if (curr && (!have || vdiff(curr->vruntime, m) < 0)) {
    m = curr->vruntime;
    have = true;
  }
  if (!have) return;
  std::int64_t delta = vdiff(m, zero_);
  if (delta == 0) return;
  sum_wkey_ -= delta * static_cast<std::int64_t>(sum_weight_);
  zero_ = m;
}

FairQueue::Avg FairQueue::avg_sums(const FairEntity* curr) const {
  Avg a{sum_wkey_, static_cast<std::int64_t>(sum_weight_)};
  if (curr) {
    a.sum += key(*curr) * static_cast<std::int64_t>(curr->weight);
    a.load += curr->weight;
  }
  return a;
}

std::uint64_t FairQueue::avg_vruntime(const FairEntity* curr) const {
  Avg a = avg_sums(curr);
  if (a.load == 0) return zero_;
  // Round towards minus infinity so that V never overestimates (an entity at exactly V stays
  // eligible by the exact test below).
  std::int64_t avg = a.sum;
  if (avg < 0) avg -= a.load - 1;
  return zero_ + static_cast<std::uint64_t>(avg / a.load);
}

bool FairQueue::eligible(const FairEntity& e, const FairEntity* curr) const {
  return eligible_vruntime(e.vruntime, avg_sums(curr));
}

bool FairQueue::eligible_vruntime(std::uint64_t vruntime, Avg avg) const {
  if (avg.load == 0) return true;
  // v_e <= V  <=>  (v_e - zero) * load <= sum w_i (v_i - zero). The product in 128 bits: a
  // key of 2^40 (~18 min of nice-0 virtual time) times a load of 2^24 would overflow 64.
  return static_cast<__int128>(vdiff(vruntime, zero_)) * avg.load <= avg.sum;
}

FairEntity* FairQueue::pick(const FairEntity* curr) const {
  RbNode* first = tree_.first();
  if (first == nullptr) return nullptr;
  Avg avg = avg_sums(curr);
  // The earliest deadline, if eligible, is the answer (Linux pick_eevdf does the same).
  if (eligible_vruntime(FairEntity::of(*first).vruntime, avg)) return &FairEntity::of(*first);
  // Otherwise the in-order first eligible node: go left while the left subtree holds an
  // eligible entity (its minimum vruntime is eligible), else take this node if eligible, else
  // go right. Equal deadlines sit in enqueue order, so the earliest enqueued wins a tie.
  for (RbNode* n = tree_.root(); n != nullptr;) {
    if (n->left && eligible_vruntime(FairEntity::of(*n->left).min_vruntime, avg)) {
      n = n->left;
      continue;
    }
    if (eligible_vruntime(FairEntity::of(*n).vruntime, avg)) return &FairEntity::of(*n);
    n = n->right;
  }
  return &FairEntity::of(*first);
}

void FairQueue::place(FairEntity& e, const FairEntity* curr, bool fresh) const {
  std::uint64_t vslice = virtual_delta(e.slice_ns, e.weight);
  std::int64_t lag = fresh ? 0 : e.vlag;
  std::int64_t load = static_cast<std::int64_t>(sum_weight_) + (curr ? curr->weight : 0);
  // Inflate the lag: after e joins, V moves towards v_e by w/(W+w) of the distance, which
  // would shrink e's lag; starting from lag * (W+w)/W leaves exactly `lag` once e is in.
  if (lag != 0 && load > 0) lag = lag * (load + e.weight) / load;
  e.vruntime = avg_vruntime(curr) - static_cast<std::uint64_t>(lag);
  if (fresh) vslice /= 2;  // a new thread gets to run soon, but only for half a request
  e.deadline = e.vruntime + vslice;
}

void FairQueue::save_lag(FairEntity& e, const FairEntity* curr) const {
  std::uint64_t two_slices = 2 * e.slice_ns > kTickNs ? 2 * e.slice_ns : kTickNs;
  std::int64_t limit = static_cast<std::int64_t>(virtual_delta(two_slices, e.weight));
  std::int64_t lag = vdiff(avg_vruntime(curr), e.vruntime);
  if (lag > limit) lag = limit;
  if (lag < -limit) lag = -limit;
  e.vlag = lag;
}

bool FairQueue::charge(FairEntity& curr, std::uint64_t delta_ns) {
  curr.sum_exec_ns += delta_ns;
  curr.vruntime += virtual_delta(delta_ns, curr.weight);
  rebase(&curr);
  if (vdiff(curr.vruntime, curr.deadline) < 0) return false;
  curr.deadline = curr.vruntime + virtual_delta(curr.slice_ns, curr.weight);
  return true;
}

void FairQueue::yield(FairEntity& curr) const {
  // A yield gives up the rest of the current request, service included: vruntime moves to the
  // request's end, then a new request starts. Moving only the deadline is not enough: the
  // deadline orders only the *eligible* entities, and an entity that yields with lag > 0 (back
  // from sleep, or just woken over a long runner) is often the only eligible one, so it was
  // picked again however late its deadline, and the others waited until it had consumed its
  // whole lag in real time (forever if the yield loop costs no measurable time). Forfeiting
  // lowers its lag by one request per yield, so V passes the others' vruntimes within a bounded
  // number of yields. Only when eligible (as Linux's yield_task_fair since 6.18): an entity run
  // by the no-one-eligible fallback of pick() would otherwise run its vruntime away.
  // `curr` is not in the tree, so the sums need no update.
  if (eligible(curr, &curr)) curr.vruntime = curr.deadline;
  curr.deadline += virtual_delta(curr.slice_ns, curr.weight);
}

bool FairQueue::should_preempt(const FairEntity& curr, const FairEntity& woken) const {
  if (!eligible(woken, &curr)) return false;
  if (!eligible(curr, &curr)) return true;
  return vdiff(woken.deadline, curr.deadline) < 0;
}

}  // namespace sched
