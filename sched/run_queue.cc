#include "sched/run_queue.h"

#include "sched/config.h"
#include "sched/weight.h"
#include "smp/platform/platform.h"

namespace sched {

// Every change to a thread's place in a runqueue is made under that runqueue's lock, and t.cpu
// must name it (docs/scheduling.md): otherwise another CPU may be changing the same thread
// under another lock.
void RunQueue::check_mine(const Thread& t) const {
  if constexpr (kChecks) {
    if (t.cpu.load(std::memory_order_relaxed) != cpu_) {
      report_bug(BugReport{BugKind::kWrongRunqueue, &t, t.state.load(std::memory_order_relaxed),
                           t.state.load(std::memory_order_relaxed),
                           platform::to_index(platform::current_cpu())});
    }
  }
}

void RunQueue::init(Thread& idle) {
  idle_ = &idle;
  curr_ = &idle;
  publish();
}

std::uint64_t RunQueue::load_weight(const Thread& t) {
  return t.is_realtime() ? weight_of_nice(kNiceMin) : t.fair.weight;
}

FairEntity* RunQueue::fair_curr() const {
  if (curr_ == nullptr || curr_ == idle_ || !curr_->on_rq.load(std::memory_order_relaxed) ||
      curr_->is_realtime()) {
    return nullptr;
  }
  return &curr_->fair;
}

void RunQueue::publish() {
  // Relaxed: a hint for placement, see the member comment.
  published_nr_.store(nr_running_, std::memory_order_relaxed);
  published_weight_.store(weight_, std::memory_order_relaxed);
}

CpuLoad RunQueue::published_load() const {
  // Relaxed: a hint, re-validated under the locks by whoever acts on it.
  return CpuLoad{published_nr_.load(std::memory_order_relaxed),
                 published_weight_.load(std::memory_order_relaxed)};
}

void RunQueue::activate(Thread& t, Join how, std::uint64_t now) {
  check_mine(t);
  update_curr(now);
  t.on_rq.store(true, std::memory_order_relaxed);
  ++nr_running_;
  weight_ += load_weight(t);
  if (t.is_realtime()) {
    t.rt.slice_left_ns = kRoundRobinSliceNs;
    rt_.enqueue(t.rt);
  } else {
    fair_.place(t.fair, fair_curr(), how == Join::kStart);
    fair_.enqueue(t.fair);
  }
  publish();
}

void RunQueue::deactivate(Thread& t, std::uint64_t now) {
  check_mine(t);
  update_curr(now);
  if (t.is_realtime()) {
    if (t.rt.queued) rt_.dequeue(t.rt);
  } else {
    // Lag first: V still counts t (queued, or current via fair_curr()).
    fair_.save_lag(t.fair, fair_curr());
    if (t.fair.queued) fair_.dequeue(t.fair);
  }
  t.on_rq.store(false, std::memory_order_relaxed);
  --nr_running_;
  weight_ -= load_weight(t);
  publish();
}

void RunQueue::put_prev(Thread& prev, bool yielding) {
  if (prev.is_realtime()) {
    bool expired = prev.policy == SchedPolicy::kRoundRobin && prev.rt.slice_left_ns == 0;
    if (expired) prev.rt.slice_left_ns = kRoundRobinSliceNs;
    rt_.enqueue(prev.rt, /*at_head=*/!(yielding || expired));
  } else {
    if (yielding) fair_.yield(prev.fair);
    fair_.enqueue(prev.fair);
  }
}

Thread* RunQueue::pick_next() {
  if (RtEntity* e = rt_.pick()) {
    rt_.dequeue(*e);
    return e->thread;
  }
  if (FairEntity* e = fair_.pick(nullptr)) {
    fair_.dequeue(*e);
    return e->thread;
  }
  return idle_;
}

void RunQueue::take(Thread& t) {
  if (t.is_realtime()) {
    rt_.dequeue(t.rt);
  } else {
    fair_.dequeue(t.fair);
  }
}

void RunQueue::set_curr(Thread& t, std::uint64_t now) {
  curr_ = &t;
  exec_start_ = now;
}

bool RunQueue::update_curr(std::uint64_t now) {
  std::int64_t delta = static_cast<std::int64_t>(now - exec_start_);
  if (delta <= 0) return false;
  exec_start_ = now;
  Thread* c = curr_;
  if (c == nullptr || c == idle_ || !c->on_rq.load(std::memory_order_relaxed)) return false;
  auto ns = static_cast<std::uint64_t>(delta);
  if (c->is_realtime()) {
    if (c->policy != SchedPolicy::kRoundRobin) return false;
    c->rt.slice_left_ns = c->rt.slice_left_ns > ns ? c->rt.slice_left_ns - ns : 0;
    return c->rt.slice_left_ns == 0;
  }
  return fair_.charge(c->fair, ns);
}

bool RunQueue::tick(std::uint64_t now) {
  bool over = update_curr(now);
  Thread* c = curr_;
  if (c == idle_) return nr_queued() > 0;
  if (!c->is_realtime()) {
    if (rt_.count() > 0) return true;
    return over && fair_.count() > 0;
  }
  int top = rt_.highest_priority();
  if (top > static_cast<int>(c->rt.priority)) return true;
  // A round-robin thread whose quantum is over yields to its equals.
  return over && top == static_cast<int>(c->rt.priority);
}

bool RunQueue::queued_beats_curr() const {
  const Thread* c = curr_;
  if (c == idle_ || !c->on_rq.load(std::memory_order_relaxed)) return nr_queued() > 0;
  int top = rt_.highest_priority();
  if (!c->is_realtime()) return top >= 0;
  return top > static_cast<int>(c->rt.priority);
}

bool RunQueue::set_inherited_priority(Thread& t, int priority, std::uint64_t now) {
  if (priority >= static_cast<int>(kRtPriorities)) priority = kRtPriorities - 1;
  if (priority < 0) priority = kNoInheritedPriority;
  if (!t.on_rq.load(std::memory_order_relaxed)) {
    // Blocked (or never started): the class is chosen when it is activated again.
    t.pi_priority = priority;
    t.rt.priority = t.effective_rt_priority();
    return false;
  }
  if (t.pi_priority == priority) return false;
  check_mine(t);
  update_curr(now);
  const bool running = &t == curr_;
  const bool was_rt = t.is_realtime();
  weight_ -= load_weight(t);
  if (running) {
    // The current thread is in no queue. Leaving the fair class: keep its lag (V counts it).
    if (!was_rt) fair_.save_lag(t.fair, &t.fair);
  } else if (was_rt) {
    rt_.dequeue(t.rt);
  } else {
    fair_.save_lag(t.fair, fair_curr());
    fair_.dequeue(t.fair);
  }
  const int old_priority = was_rt ? t.rt.priority : -1;
  t.pi_priority = priority;
  t.rt.priority = t.effective_rt_priority();
  const bool now_rt = t.is_realtime();
  weight_ += load_weight(t);
  if (running) {
    // Back in the fair class: placed against the queued threads with the lag it had.
    if (!now_rt && was_rt) fair_.place(t.fair, nullptr, false);
  } else if (now_rt) {
    rt_.enqueue(t.rt);
  } else {
    fair_.place(t.fair, fair_curr(), false);
    fair_.enqueue(t.fair);
  }
  publish();
  const int new_priority = now_rt ? t.rt.priority : -1;
  if (running) return new_priority < old_priority && queued_beats_curr();
  return new_priority > old_priority && wakeup_preempts(t);
}

bool RunQueue::wakeup_preempts(const Thread& woken) const {
  const Thread* c = curr_;
  if (c == idle_ || !c->on_rq.load(std::memory_order_relaxed)) return true;
  if (woken.is_realtime()) {
    return !c->is_realtime() || woken.rt.priority > c->rt.priority;
  }
  if (c->is_realtime()) return false;
  return fair_.should_preempt(c->fair, woken.fair);
}

Thread* RunQueue::find_migratable(platform::CpuNumber dst) const {
  auto movable = [dst](const Thread& t) {
    // Acquire: pairs with the release in Scheduler::finish_switch. Seeing false means the CPU
    // that last ran t has saved its context; the CPU we hand t to may then load it.
    return t.affinity.contains(dst) &&
           !t.on_cpu.load(std::memory_order_acquire);
  };
  // RT threads waiting here first, highest priority first: each is kept from running by a
  // higher one, and another CPU can run it now.
  for (RtEntity* e = rt_.pick(); e != nullptr; e = rt_.next_in_order(e)) {
    if (movable(*e->thread)) return e->thread;
  }
  for (RbNode* n = fair_.tree().last(); n != nullptr; n = RbTree<FairQueue::Traits>::prev(n)) {
    Thread* t = FairEntity::of(*n).thread;
    if (movable(*t)) return t;
  }
  return nullptr;
}

}  // namespace sched
