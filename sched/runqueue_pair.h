// Holds two runqueue locks at once, always in ascending CPU order with the CPU number as the
// lockdep nest key (docs/locking.md rule 3), so two CPUs locking the same pair from opposite
// ends cannot deadlock. The same runqueue twice is locked once.
#pragma once

#include "sched/run_queue.h"
#include "smp/locks/thread_annotations.h"

namespace sched {

// The order depends on the CPU numbers, which the static analysis cannot follow: the bodies
// are exempt, the annotations state the effect (both locks held for the scope).
class [[nodiscard]] TA_SCOPED_CAP RunqueuePair {
 public:
  RunqueuePair(RunQueue& a, RunQueue& b, smp::Site site = smp::Site::here())
      TA_ACQ(a.lock, b.lock) TA_NO_ANALYSIS
      : first_(a.cpu() <= b.cpu() ? a : b), second_(a.cpu() <= b.cpu() ? b : a) {
    first_token_ = first_.lock.acquire(smp::NestKey{first_.cpu()}, site);
    if (&second_ != &first_) second_token_ = second_.lock.acquire(smp::NestKey{second_.cpu()}, site);
  }
  ~RunqueuePair() TA_REL() TA_NO_ANALYSIS {
    if (&second_ != &first_) second_.lock.release(second_token_);
    first_.lock.release(first_token_);
  }
  RunqueuePair(const RunqueuePair&) = delete;
  RunqueuePair& operator=(const RunqueuePair&) = delete;

 private:
  RunQueue& first_;
  RunQueue& second_;
  smp::LockToken first_token_{};
  smp::LockToken second_token_{};
};

}  // namespace sched
