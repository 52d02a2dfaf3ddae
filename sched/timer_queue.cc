#include "sched/timer_queue.h"

namespace sched {

TimerQueue::TimerQueue() { head_.next = head_.prev = &head_; }

void TimerQueue::insert(TimerEntry& e) {
  // From the latest deadline backwards: new timers tend to expire last. Equal deadlines stay
  // in arming order.
  TimerEntry* after = head_.prev;
  while (after != &head_ && after->deadline > e.deadline) after = after->prev;
  e.prev = after;
  e.next = after->next;
  after->next->prev = &e;
  after->next = &e;
  e.home = this;
  e.queued = true;
  ++count_;
}

void TimerQueue::remove(TimerEntry& e) {
  if (!e.queued) return;
  e.prev->next = e.next;
  e.next->prev = e.prev;
  e.next = e.prev = nullptr;
  e.queued = false;
  --count_;
}

void TimerQueue::arm(TimerEntry& e, Thread& thread, std::uint64_t deadline) {
  cancel(e);
  smp::Guard g{lock};
  e.thread = &thread;
  e.deadline = deadline;
  insert(e);
}

void TimerQueue::cancel(TimerEntry& e) {
  TimerQueue* q = e.home;
  if (q == nullptr) return;
  smp::Guard g{q->lock};
  q->remove(e);
}

std::uint64_t TimerQueue::next_deadline() {
  smp::Guard g{lock};
  return head_.next != &head_ ? head_.next->deadline : kNoDeadline;
}

std::uint32_t TimerQueue::count() {
  smp::Guard g{lock};
  return count_;
}

}  // namespace sched
