#include "smp/calls/call_queue.h"

namespace smp {

constinit LockClass kIpiQueueClass{"ipi-queue", LockRank{50}};

CallQueue::PushResult CallQueue::push(const QueuedCall& call) {
  // A queue seen full is not locked: senders that retry a full queue would otherwise line up on
  // its FIFO lock, and the owner's pop would wait behind all of them (with more vCPUs than host
  // cores, a handover to each descheduled waiter costs a host time slice). A stale read only
  // makes this a kFull the caller retries, or a locked check below.
  if (pending_.load(std::memory_order_relaxed) >= kCallQueueCapacity) return PushResult::kFull;
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
