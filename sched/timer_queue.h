// TimerQueue: one CPU's timers, sorted by deadline, expired by that CPU's tick
// (Scheduler::expire_timers). A timer belongs to a sleeping or waiting thread and lives on its
// stack (no allocation); expiry wakes the thread. The protocol (docs/scheduling.md, "Timed
// waits"):
//   - the thread arms its timer after marking itself kBlocked, under the lock of the queue it
//     sleeps on (a wait queue's lock, or this timer queue's own lock for a plain sleep), so an
//     expiry always finds it blocked or already woken: the deadline cannot be missed;
//   - expiry unlinks the entry and wakes the thread with this queue's lock held;
//   - the thread cancels its timer (under this lock) before the entry goes out of scope, so
//     after cancel() no expiry touches the entry or wakes the thread for this wait.
// Lock order: wait-queue (25) -> sched-timer (26) -> runqueue (30).
#pragma once

#include <cstdint>

#include "sched/sched_locks.h"
#include "smp/locks/thread_annotations.h"

namespace sched {

struct Thread;
class TimerQueue;

// A deadline no clock reaches: an untimed wait.
inline constexpr std::uint64_t kNoDeadline = ~std::uint64_t{0};

struct TimerEntry {
  TimerEntry* next = nullptr;
  TimerEntry* prev = nullptr;
  std::uint64_t deadline = kNoDeadline;
  Thread* thread = nullptr;
  // The queue it was armed on: written only by the owning thread (arm); read by it in cancel.
  TimerQueue* home = nullptr;
  bool queued = false;  // under home->lock
};

class alignas(64) TimerQueue {
 public:
  TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Links `e` (not queued) in deadline order; e.home = this. Needs the lock.
  void insert(TimerEntry& e) TA_REQ(lock);
  // Unlinks `e` if queued. Needs the lock.
  void remove(TimerEntry& e) TA_REQ(lock);
  // Arms `e` for `thread` at `deadline` on this queue, first cancelling it wherever it was
  // armed before (takes those locks one at a time). The caller must already be kBlocked under
  // the lock of whatever it waits on (see the protocol above).
  void arm(TimerEntry& e, Thread& thread, std::uint64_t deadline);
  // Makes sure `e` is no longer queued (takes the lock of the queue it was armed on, if any).
  // After it returns no expiry touches `e`.
  static void cancel(TimerEntry& e);

  // Unlinks every entry whose deadline is <= now and calls fire(thread) for each with the lock
  // held (fire takes runqueue locks). Returns how many fired.
  template <typename Fire>
  std::uint32_t expire(std::uint64_t now, Fire&& fire) {
    smp::Guard g{lock};
    std::uint32_t fired = 0;
    while (head_.next != &head_ && head_.next->deadline <= now) {
      TimerEntry& e = *head_.next;
      Thread* t = e.thread;
      // Unlink before waking: once awake, the thread may cancel, return, and end the entry.
      remove(e);
      fire(*t);
      ++fired;
    }
    return fired;
  }

  // The earliest deadline queued, or kNoDeadline (takes the lock).
  std::uint64_t next_deadline();
  // Entries queued (takes the lock; diagnostics and tests).
  std::uint32_t count();

  TimerLock lock;

 private:
  TimerEntry head_ TA_GUARDED(lock);  // sentinel of a circular list, ascending deadlines
  std::uint32_t count_ TA_GUARDED(lock) = 0;
};

}  // namespace sched
