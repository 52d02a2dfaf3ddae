// Holds two runqueue locks at once, always in ascending CPU order with the CPU number as the
// lockdep nest key (docs/locking.md rule 3), so two CPUs locking the same pair from opposite
// ends cannot deadlock. The same runqueue twice is locked once.
#pragma once

#include "sched/run_queue.h"
#include "smp/locks/thread_annotations.h"

namespace sched {

// The lockdep nest key of a runqueue's lock: its CPU number.
inline smp::NestKey nest_key(const RunQueue& rq) {
  return smp::NestKey{platform::to_index(rq.cpu())};
}

// The order depends on the CPU numbers, which the static analysis cannot follow: the bodies
// are exempt, the annotations state the effect (both locks held for the scope).
class [[nodiscard]] TA_SCOPED_CAP RunqueuePair {
 public:
  RunqueuePair(RunQueue& a, RunQueue& b, smp::Site site = smp::Site::here())
      TA_ACQ(a.lock, b.lock) TA_NO_ANALYSIS
      : first_(a.cpu() <= b.cpu() ? a : b), second_(a.cpu() <= b.cpu() ? b : a) {
    first_token_ = first_.lock.acquire(nest_key(first_), site);
    if (&second_ != &first_) second_token_ = second_.lock.acquire(nest_key(second_), site);
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

// The same two locks, in the same order, taken only if each is free right now (try_acquire):
// for a caller that would rather give up than queue behind other CPUs on a busy CPU's lock (an
// idle CPU stealing, Scheduler::steal). locked() says whether it holds both; if not, it holds
// neither. The annotation states the successful case: callers return at once otherwise.
class [[nodiscard]] TA_SCOPED_CAP TryRunqueuePair {
 public:
  TryRunqueuePair(RunQueue& a, RunQueue& b, smp::Site site = smp::Site::here())
      TA_ACQ(a.lock, b.lock) TA_NO_ANALYSIS
      : first_(a.cpu() <= b.cpu() ? a : b), second_(a.cpu() <= b.cpu() ? b : a) {
    if (!first_.lock.try_acquire(first_token_, nest_key(first_), site)) return;
    if (&second_ != &first_ &&
        !second_.lock.try_acquire(second_token_, nest_key(second_), site)) {
      first_.lock.release(first_token_);
      return;
    }
    locked_ = true;
  }
  ~TryRunqueuePair() TA_REL() TA_NO_ANALYSIS {
    if (!locked_) return;
    if (&second_ != &first_) second_.lock.release(second_token_);
    first_.lock.release(first_token_);
  }
  TryRunqueuePair(const TryRunqueuePair&) = delete;
  TryRunqueuePair& operator=(const TryRunqueuePair&) = delete;

  bool locked() const { return locked_; }

 private:
  RunQueue& first_;
  RunQueue& second_;
  smp::LockToken first_token_{};
  smp::LockToken second_token_{};
  bool locked_ = false;
};

}  // namespace sched
