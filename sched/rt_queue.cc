#include "sched/rt_queue.h"

namespace sched {
namespace {

int highest_bit(std::uint64_t word) { return 63 - __builtin_clzll(word); }

}  // namespace

RtQueue::RtQueue() {
  for (RtLink& h : heads_) h.next = h.prev = &h;
}

void RtQueue::enqueue(RtEntity& e, bool at_head) {
  if (e.priority >= kRtPriorities) e.priority = kRtPriorities - 1;
  RtLink& head = heads_[e.priority];
  RtLink* before = at_head ? &head : head.prev;  // insert after `before`
  e.link.prev = before;
  e.link.next = before->next;
  before->next->prev = &e.link;
  before->next = &e.link;
  bitmap_[e.priority / 64] |= 1ull << (e.priority % 64);
  e.queued = true;
  ++count_;
}

void RtQueue::dequeue(RtEntity& e) {
  e.link.prev->next = e.link.next;
  e.link.next->prev = e.link.prev;
  e.link.next = e.link.prev = nullptr;
  RtLink& head = heads_[e.priority];
  if (head.next == &head) bitmap_[e.priority / 64] &= ~(1ull << (e.priority % 64));
  e.queued = false;
  --count_;
}

int RtQueue::highest_below(int priority) const {
  for (int w = static_cast<int>(kWords) - 1; w >= 0; --w) {
    std::uint64_t word = bitmap_[w];
    int base = w * 64;
    if (priority <= base) continue;
    if (priority - base < 64) word &= (1ull << (priority - base)) - 1;
    if (word) return base + highest_bit(word);
  }
  return -1;
}

int RtQueue::highest_priority() const { return highest_below(static_cast<int>(kWords * 64)); }

RtEntity* RtQueue::pick() const {
  int p = highest_priority();
  if (p < 0) return nullptr;
  return &RtEntity::of(*heads_[p].next);
}

RtEntity* RtQueue::next_in_order(const RtEntity* e) const {
  const RtLink* head = &heads_[e->priority];
  if (e->link.next != head) return &RtEntity::of(*e->link.next);
  int p = highest_below(e->priority);
  if (p < 0) return nullptr;
  return &RtEntity::of(*heads_[p].next);
}

}  // namespace sched
