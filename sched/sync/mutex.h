// A sleeping mutex with priority inheritance (docs/scheduling.md, "Mutexes and priority
// inheritance"). Contended lockers block; a blocked locker lends its real-time priority to the
// owner, and through the owner to the owner of the mutex the owner waits for, up to
// kMaxChainDepth mutexes; unlock takes back what this mutex's waiters lent. Fair-class waiters
// lend nothing (EEVDF already runs every fair thread within a bounded lag; only RT threads can
// starve an owner). Not recursive: a recursive lock, or an unlock by a thread that does not
// own it, is reported as a scheduler bug (kernel: panic). Thread context only (it may block):
// no spinlock held, preemption enabled. It blocks on current_scheduler()
// (sched/current_scheduler.h).
//
// The owner word holds the owner's Thread* and kWaitersBit. Without waiters, lock and unlock
// are one CAS each and take no lock. A waiter sets the bit (under the mutex-pi lock), so the
// owner's CAS unlock fails and it takes the slow path, under the same lock: every change of
// owner while there are waiters, the waiter lists, and all priority-inheritance state are
// serialised by the one global mutex-pi lock (rank 24; then sched-timer 26, runqueue 30).
// Waiters are queued by lent priority (FIFO among equals); unlock wakes the first, which then
// takes the mutex unless a running thread took it first (no hand-off: no convoys).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/current_scheduler.h"
#include "sched/sched_locks.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sched/timer_queue.h"
#include "smp/atomic.h"

namespace sched {

// A blocked locker's entry, on its stack.
struct MutexWaiter {
  MutexWaiter* next = nullptr;
  MutexWaiter* prev = nullptr;
  Thread* thread = nullptr;
  Mutex* mutex = nullptr;
  int priority = kNoInheritedPriority;  // what it lends: its place in the queue
  bool queued = false;
  TimerEntry timer;  // timed locks
};

class Mutex {
 public:
  // How many mutexes one block propagates a priority through (owner waits for a mutex whose
  // owner waits for ...). Deeper chains, and deadlock cycles, stop there.
  static constexpr int kMaxChainDepth = 8;

  Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until the calling thread owns the mutex, lending its RT priority to the owner
  // meanwhile. Needs: the caller does not own it.
  void lock() { (void)try_lock_until(kNoDeadline); }
  // Takes the mutex if nobody owns it (even with waiters queued). Never blocks.
  [[nodiscard]] bool try_lock();
  // As lock(), giving up once the scheduler's now() >= deadline, or after `timeout_ns`.
  // Returns whether the caller owns the mutex.
  [[nodiscard]] bool try_lock_until(std::uint64_t deadline);
  [[nodiscard]] bool try_lock_for(std::uint64_t timeout_ns);
  // Needs: the caller owns it. Wakes the first waiter and drops the priority this mutex's
  // waiters lent (takes the mutex-pi lock only when there are waiters), then a preemption
  // point: a woken thread that should run here, or ourselves now lower, is switched to at once.
  void unlock();

  Thread* owner() const {
    // Relaxed: a snapshot (owners check for themselves, which needs no ordering).
    return owner_of(word_.load(std::memory_order_relaxed));
  }
  // Whether threads wait for it (a snapshot).
  bool has_waiters() const {
    return (word_.load(std::memory_order_relaxed) & kWaitersBit) != 0;
  }

 private:
  // The condition variable releases and re-takes the mutex of its caller without the
  // preemption point (it sleeps right after the release).
  friend class ConditionVariable;
  enum class Step : std::uint8_t { kAcquired, kTimedOut, kBlocked };
  static constexpr std::uintptr_t kWaitersBit = 1;

  static Thread* owner_of(std::uintptr_t word) {
    return reinterpret_cast<Thread*>(word & ~kWaitersBit);
  }
  static std::uintptr_t word_of(Thread* t) { return reinterpret_cast<std::uintptr_t>(t); }

  bool lock_until(Scheduler& sched, Thread& self, std::uint64_t deadline);
  bool try_lock(Scheduler& sched, Thread& self);
  void release(Scheduler& sched, Thread& self);
  // A misuse by `self` (a recursive lock, a release of a mutex it does not own): reported, and
  // the call then does nothing (kernel: the report panics).
  static void report_misuse(BugKind kind, Thread& self);
  Step slow_step(Scheduler& sched, Thread& self, MutexWaiter& w, std::uint64_t deadline)
      TA_REQ(pi_lock_);
  bool take_locked(Thread& self, MutexWaiter* w) TA_REQ(pi_lock_);
  void acquired_locked(Scheduler& sched, Thread& self, MutexWaiter* w) TA_REQ(pi_lock_);

  void enqueue_waiter(MutexWaiter& w) TA_REQ(pi_lock_);
  void dequeue_waiter(MutexWaiter& w) TA_REQ(pi_lock_);
  bool others_wait(const MutexWaiter* w) const TA_REQ(pi_lock_);
  int top_priority() const TA_REQ(pi_lock_);
  void link_held(Thread& owner) TA_REQ(pi_lock_);
  void unlink_held() TA_REQ(pi_lock_);
  static bool recompute(Scheduler& sched, Thread& t) TA_REQ(pi_lock_);
  static void propagate(Scheduler& sched, Mutex* m) TA_REQ(pi_lock_);

  static MutexPiLock pi_lock_;

  smp::Atomic<std::uintptr_t> word_{0};
  MutexWaiter head_ TA_GUARDED(pi_lock_);  // sentinel; descending priority, FIFO among equals
  // In the owner's list of mutexes with waiters (PiState::held) while it has waiters.
  Thread* held_by_ TA_GUARDED(pi_lock_) = nullptr;
  Mutex* held_next_ TA_GUARDED(pi_lock_) = nullptr;
  Mutex* held_prev_ TA_GUARDED(pi_lock_) = nullptr;
};

// Holds a mutex for its scope.
class [[nodiscard]] MutexGuard {
 public:
  explicit MutexGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~MutexGuard() { m_.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& m_;
};

}  // namespace sched
