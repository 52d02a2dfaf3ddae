#include "sched/sync/mutex.h"

namespace sched {

constinit MutexPiLock Mutex::pi_lock_;

Mutex::Mutex() { head_.next = head_.prev = &head_; }

// ---- Lock and unlock ------------------------------------------------------------------------

void Mutex::report_misuse(BugKind kind, Thread& self) {
  report_bug(BugReport{kind, &self, ThreadState::kRunning, ThreadState::kRunning,
                       platform::to_index(platform::current_cpu())});
}

bool Mutex::try_lock() {
  Scheduler& sched = current_scheduler();
  return try_lock(sched, *sched.current());
}

bool Mutex::try_lock_for(std::uint64_t timeout_ns) {
  return try_lock_until(deadline_after(timeout_ns));
}

bool Mutex::try_lock_until(std::uint64_t deadline) {
  Scheduler& sched = current_scheduler();
  Thread& self = *sched.current();
  if (owner() == &self) {
    report_misuse(BugKind::kMutexRecursive, self);
    return false;
  }
  return lock_until(sched, self, deadline);
}

void Mutex::unlock() {
  Scheduler& sched = current_scheduler();
  Thread& self = *sched.current();
  if (owner() != &self) {
    report_misuse(BugKind::kMutexNotOwner, self);
    return;
  }
  release(sched, self);
  // Wake-ups end with interrupts restored after the preemption count dropped, so nothing has
  // acted on a need_resched they set: this is the point where it is honoured.
  sched.preempt_point();
}

bool Mutex::try_lock(Scheduler& sched, Thread& self) {
  std::uintptr_t expected = 0;
  // Acquire: the previous owner's critical section (its release store or CAS) happens-before
  // ours. Release: a waiter that reads us as the owner (acquire) may touch our Thread (its PI
  // state), which must be visible as we last left it, and as whoever started us set it up.
  if (word_.compare_exchange_strong(expected, word_of(&self), std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
    return true;
  }
  if (owner_of(expected) != nullptr) return false;
  // Free, but waiters are queued (one is woken and not yet running): take it as they would.
  smp::Guard g{pi_lock_};
  if (!take_locked(self, nullptr)) return false;
  acquired_locked(sched, self, nullptr);
  return true;
}

bool Mutex::lock_until(Scheduler& sched, Thread& self, std::uint64_t deadline) {
  if (try_lock(sched, self)) return true;
  MutexWaiter w;
  w.thread = &self;
  w.mutex = this;
  for (;;) {
    Step step;
    {
      smp::Guard g{pi_lock_};
      step = slow_step(sched, self, w, deadline);
    }
    if (step == Step::kAcquired) return true;
    if (step == Step::kTimedOut) return false;
    // Woken by unlock (the mutex is free: retry), by the timer, or spuriously.
    sched.schedule();
  }
}

// Takes the mutex if it has no owner. With waiters queued (the bit set) only pi_lock_ holders
// write the word; without, a fast-path CAS may race us, hence the CAS.
bool Mutex::take_locked(Thread& self, MutexWaiter* w) {
  std::uintptr_t word = word_.load(std::memory_order_relaxed);
  while (owner_of(word) == nullptr) {
    const std::uintptr_t mine = word_of(&self) | (others_wait(w) ? kWaitersBit : 0);
    // Acquire and release: as in try_lock.
    if (word_.compare_exchange_weak(word, mine, std::memory_order_acq_rel,
                                    std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

// `self` has just taken the mutex; `w` is its queue entry if it waited.
void Mutex::acquired_locked(Scheduler& sched, Thread& self, MutexWaiter* w) {
  if (w != nullptr) {
    if (w->queued) dequeue_waiter(*w);
    self.pi.waiting = nullptr;
    TimerQueue::cancel(w->timer);
  }
  // The remaining waiters now lend their priority to us.
  if (head_.next != &head_) {
    link_held(self);
    recompute(sched, self);
  }
}

Mutex::Step Mutex::slow_step(Scheduler& sched, Thread& self, MutexWaiter& w,
                             std::uint64_t deadline) {
  // Take it, or set the waiters bit so that the owner cannot release it without the lock.
  // Acquire (here and on the CAS below): pairs with the owner's acq_rel CAS that took it, so
  // the owner's Thread is visible before we link the mutex into its PI state.
  std::uintptr_t word = word_.load(std::memory_order_acquire);
  for (;;) {
    if (owner_of(word) == nullptr) {
      if (take_locked(self, &w)) {
        acquired_locked(sched, self, &w);
        return Step::kAcquired;
      }
      word = word_.load(std::memory_order_acquire);
      continue;
    }
    if (word & kWaitersBit) break;
    if (word_.compare_exchange_weak(word, word | kWaitersBit, std::memory_order_acquire,
                                    std::memory_order_acquire)) {
      word |= kWaitersBit;
      break;
    }
  }
  // The bit is set: the owner stays the owner until it takes pi_lock_ to unlock.
  Thread& owner = *owner_of(word);
  if (deadline != kNoDeadline && sched.now() >= deadline) {
    if (w.queued) dequeue_waiter(w);
    self.pi.waiting = nullptr;
    TimerQueue::cancel(w.timer);
    if (head_.next == &head_) {
      // The last waiter leaves: the owner may unlock on the fast path again. An RMW, relaxed:
      // it keeps the owner's release sequence for later acquire loads of the word.
      word_.fetch_and(~kWaitersBit, std::memory_order_relaxed);
      unlink_held();
    }
    propagate(sched, this);  // the owner keeps only what the others lend
    return Step::kTimedOut;
  }
  if (!w.queued) {
    w.priority = self.lent_priority();
    enqueue_waiter(w);
    self.pi.waiting = &w;
  }
  link_held(owner);
  propagate(sched, this);
  // Under pi_lock_, which unlock holds to wake us: it finds us blocked, or we stay running.
  transition(self, ThreadState::kRunning, ThreadState::kBlocked);
  if (deadline != kNoDeadline) {
    // Interrupts are off (pi_lock_ saves them): this CPU's queue stays ours.
    sched.local_timers().arm(w.timer, self, deadline);
  }
  return Step::kBlocked;
}

void Mutex::release(Scheduler& sched, Thread& self) {
  std::uintptr_t expected = word_of(&self);
  // Release: our critical section happens-before the next owner's acquire.
  if (word_.compare_exchange_strong(expected, 0, std::memory_order_release,
                                    std::memory_order_relaxed)) {
    return;
  }
  smp::Guard g{pi_lock_};
  unlink_held();
  MutexWaiter* first = head_.next != &head_ ? head_.next : nullptr;
  // Release: as above. The bit stays while waiters are queued: whoever takes it next sees them.
  word_.store(first != nullptr ? kWaitersBit : 0, std::memory_order_release);
  recompute(sched, self);  // keep only what the waiters of the mutexes we still hold lend
  // The first waiter stays queued (its priority still counts) until it takes the mutex.
  if (first != nullptr) sched.wake(*first->thread);
}

// ---- Waiter queue and held list -------------------------------------------------------------

void Mutex::enqueue_waiter(MutexWaiter& w) {
  MutexWaiter* after = head_.prev;  // behind every waiter of at least its priority
  while (after != &head_ && after->priority < w.priority) after = after->prev;
  w.prev = after;
  w.next = after->next;
  after->next->prev = &w;
  after->next = &w;
  w.queued = true;
}

void Mutex::dequeue_waiter(MutexWaiter& w) {
  w.prev->next = w.next;
  w.next->prev = w.prev;
  w.next = w.prev = nullptr;
  w.queued = false;
}

bool Mutex::others_wait(const MutexWaiter* w) const {
  if (head_.next == &head_) return false;
  return !(w != nullptr && w->queued && head_.next == w && w->next == &head_);
}

int Mutex::top_priority() const {
  return head_.next != &head_ ? head_.next->priority : kNoInheritedPriority;
}

void Mutex::link_held(Thread& owner) {
  if (held_by_ == &owner) return;
  unlink_held();
  held_by_ = &owner;
  held_prev_ = nullptr;
  held_next_ = owner.pi.held;
  if (held_next_ != nullptr) held_next_->held_prev_ = this;
  owner.pi.held = this;
}

void Mutex::unlink_held() {
  if (held_by_ == nullptr) return;
  if (held_prev_ != nullptr) {
    held_prev_->held_next_ = held_next_;
  } else {
    held_by_->pi.held = held_next_;
  }
  if (held_next_ != nullptr) held_next_->held_prev_ = held_prev_;
  held_by_ = nullptr;
  held_next_ = held_prev_ = nullptr;
}

// ---- Priority inheritance -------------------------------------------------------------------

// `t` inherits the highest priority queued on any mutex it holds. Returns whether the
// priority it lends onwards changed.
bool Mutex::recompute(Scheduler& sched, Thread& t) {
  int inherited = kNoInheritedPriority;
  for (Mutex* m = t.pi.held; m != nullptr; m = m->held_next_) {
    if (m->top_priority() > inherited) inherited = m->top_priority();
  }
  if (inherited == t.pi.inherited) return false;
  const int lent_before = t.lent_priority();
  t.pi.inherited = inherited;
  sched.set_inherited_priority(t, inherited);
  return t.lent_priority() != lent_before;
}

// The waiters of `m` changed: its owner recomputes, and if what it lends changed, its place in
// the queue of the mutex it waits for moves and that owner recomputes, and so on.
void Mutex::propagate(Scheduler& sched, Mutex* m) {
  for (int depth = 0; depth < kMaxChainDepth && m != nullptr; ++depth) {
    // Acquire: as in slow_step (the owner's Thread is visible).
    Thread* owner = owner_of(m->word_.load(std::memory_order_acquire));
    if (owner == nullptr || !recompute(sched, *owner)) return;
    MutexWaiter* w = owner->pi.waiting;
    if (w == nullptr) return;
    m = w->mutex;
    m->dequeue_waiter(*w);
    w->priority = owner->lent_priority();
    m->enqueue_waiter(*w);
  }
}

}  // namespace sched
