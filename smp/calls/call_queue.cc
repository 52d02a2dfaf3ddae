#include "smp/calls/call_queue.h"

namespace smp {

constinit LockClass kIpiQueueClass{"ipi-queue", LockRank{50}};

CallQueue::PushResult CallQueue::push(const QueuedCall& call) {
  Guard guard{lock_};
  if (count_ == kCallQueueCapacity) return PushResult::kFull;
  ring_[(head_ + count_) % kCallQueueCapacity] = call;
  ++count_;
  pending_.store(count_, std::memory_order_relaxed);  // see pending_
  return count_ == 1 ? PushResult::kQueuedWasEmpty : PushResult::kQueuedWasBusy;
}

bool CallQueue::pop(QueuedCall& out) {
  Guard guard{lock_};
  if (count_ == 0) return false;
  out = ring_[head_];
  head_ = (head_ + 1) % kCallQueueCapacity;
  --count_;
  pending_.store(count_, std::memory_order_relaxed);  // see pending_
  return true;
}

}  // namespace smp
