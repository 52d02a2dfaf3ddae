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
#pragma once

#include <cstdint>

#include "sched/sched_locks.h"
#include "sched/scheduler.h"

namespace sched {

struct WaitEntry {
  WaitEntry* next = nullptr;
  WaitEntry* prev = nullptr;
  Thread* thread = nullptr;
  bool queued = false;
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
    WaitEntry entry;
    entry.thread = sched.current();
    for (;;) {
      if (prepare(entry, ready)) return;
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
  // Under the lock: true if ready (entry unlinked); else links the entry and blocks the thread.
  template <typename Ready>
  bool prepare(WaitEntry& entry, Ready& ready) {
    smp::Guard g{lock_};
    if (ready()) {
      if (entry.queued) unlink(entry);
      return true;
    }
    if (!entry.queued) link_tail(entry);
    block(*entry.thread);
    return false;
  }
  void link_tail(WaitEntry& e) TA_REQ(lock_);
  void unlink(WaitEntry& e) TA_REQ(lock_);
  static void block(Thread& self);

  WaitQueueLock lock_;
  WaitEntry head_ TA_GUARDED(lock_);  // sentinel of a circular list
};

}  // namespace sched
