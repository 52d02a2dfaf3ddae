#include "sched/wait_queue.h"

namespace sched {

WaitQueue::WaitQueue() { head_.next = head_.prev = &head_; }

void WaitQueue::link_tail(WaitEntry& e) {
  e.prev = head_.prev;
  e.next = &head_;
  head_.prev->next = &e;
  head_.prev = &e;
  e.queued = true;
}

void WaitQueue::unlink(WaitEntry& e) {
  e.prev->next = e.next;
  e.next->prev = e.prev;
  e.next = e.prev = nullptr;
  e.queued = false;
}

// kRunning -> kBlocked by the thread itself, under the queue lock: a waker that finds the entry
// (under the same lock) sees kBlocked.
void WaitQueue::block(Thread& self) {
  transition(self, ThreadState::kRunning, ThreadState::kBlocked);
}

bool WaitQueue::wake_one(Scheduler& sched) {
  smp::Guard g{lock_};
  while (head_.next != &head_) {
    WaitEntry& e = *head_.next;
    Thread* t = e.thread;
    // Unlink before waking: once woken, the waiter may return and its entry (on its stack) is
    // gone. A waiter that was already awake (woken directly) re-links itself if it must wait.
    unlink(e);
    if (sched.wake(*t)) return true;
  }
  return false;
}

std::uint32_t WaitQueue::wake_all(Scheduler& sched) {
  smp::Guard g{lock_};
  std::uint32_t woken = 0;
  while (head_.next != &head_) {
    WaitEntry& e = *head_.next;
    Thread* t = e.thread;
    unlink(e);
    if (sched.wake(*t)) ++woken;
  }
  return woken;
}

bool WaitQueue::empty() {
  smp::Guard g{lock_};
  return head_.next == &head_;
}

}  // namespace sched
