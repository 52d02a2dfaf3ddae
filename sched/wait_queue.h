// WaitQueue: threads sleeping until a condition holds. The condition is evaluated under the
// queue's lock, and the thread enqueues itself and marks itself kBlocked under that same lock,
// so a waker that makes the condition true and then calls wake_one/wake_all either finds the
// waiter on the queue or the waiter sees the condition: no lost wake-up (docs/scheduling.md).
//
//   // waiter                               // waker
//   wq.wait(sched, [&] { return flag.load(std::memory_order_relaxed); });
//                                           flag.store(true, std::memory_order_relaxed);
//                                           wq.wake_all(sched);
//
// The waker's store may be relaxed: the queue lock orders it before the waiter's next check.
// Waiters are woken in FIFO order. Wait entries live on the waiters' stacks (no allocation).
//
// Timed waits (wait_until): the waiter also arms a timer on its CPU's timer queue
// (sched/timer_queue.h) after marking itself blocked, under this queue's lock. Whichever comes
// first, the waker or the expiry, wakes it; it then re-checks under this lock, the condition
// first (a wake-up that made it true is never dropped), then the deadline, and before it
// returns it unlinks its entry and cancels its timer under this lock, so neither a later waker
// nor the timer touches the entry once it is gone.
#pragma once

#include <cstdint>

#include "sched/sched_locks.h"
#include "sched/scheduler.h"
#include "sched/timer_queue.h"

namespace sched {

struct WaitEntry {
  WaitEntry* next = nullptr;
  WaitEntry* prev = nullptr;
  Thread* thread = nullptr;
  bool queued = false;
  TimerEntry timer;  // armed by timed waits
};

class WaitQueue {
 public:
  WaitQueue();
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Blocks the current thread until `ready()` is true; `ready` runs with the queue lock held
  // (interrupts off), so it must be short and take no lock of rank <= 25. Needs: a schedulable
  // context (no lock held, preemption enabled). Spurious returns from schedule() are absorbed.
  template <typename Ready>
  void wait(Scheduler& sched, Ready&& ready) {
    (void)wait_until(sched, kNoDeadline, ready);
  }

  // As wait(), but gives up once sched.now() >= deadline (kNoDeadline: never). Returns true
  // when `ready()` was true, false on timeout (the condition was false at the last check).
  // Woken by wake_one/wake_all or by the timer, whichever is first; see above for why neither
  // can be lost or outlive the call.
  template <typename Ready>
  [[nodiscard]] bool wait_until(Scheduler& sched, std::uint64_t deadline, Ready&& ready) {
    WaitEntry entry;
    entry.thread = sched.current();
    for (;;) {
      switch (prepare(sched, entry, deadline, ready)) {
        case Step::kReady: return true;
        case Step::kTimedOut: return false;
        case Step::kBlocked: break;
      }
      sched.schedule();
    }
  }

  // Wakes the first waiter that was still asleep; returns whether one was woken.
  // Takes the queue lock, then (inside) runqueue locks.
  bool wake_one(Scheduler& sched);
  // Wakes every waiter; returns how many were asleep.
  std::uint32_t wake_all(Scheduler& sched);

  bool empty();

 private:
  enum class Step : std::uint8_t { kReady, kTimedOut, kBlocked };

  // Under the lock: ready, or past the deadline (entry unlinked, timer cancelled); else links
  // the entry, blocks the thread and (re-)arms its timer on this CPU: re-arming also covers a
  // timer that fired by a clock slightly ahead of ours.
  template <typename Ready>
  Step prepare(Scheduler& sched, WaitEntry& entry, std::uint64_t deadline, Ready& ready) {
    smp::Guard g{lock_};
    Step step = Step::kBlocked;
    if (ready()) {
      step = Step::kReady;
    } else if (deadline != kNoDeadline && sched.now() >= deadline) {
      step = Step::kTimedOut;
    }
    if (step != Step::kBlocked) {
      if (entry.queued) unlink(entry);
      TimerQueue::cancel(entry.timer);
      return step;
    }
    if (!entry.queued) link_tail(entry);
    block(*entry.thread);
    if (deadline != kNoDeadline) {
      // Interrupts are off (the queue lock saves them): this CPU's queue stays ours.
      sched.local_timers().arm(entry.timer, *entry.thread, deadline);
    }
    return Step::kBlocked;
  }
  void link_tail(WaitEntry& e) TA_REQ(lock_);
  void unlink(WaitEntry& e) TA_REQ(lock_);
  static void block(Thread& self);

  WaitQueueLock lock_;
  WaitEntry head_ TA_GUARDED(lock_);  // sentinel of a circular list
};

}  // namespace sched
