// Protected<T, Lock>: a value that can only be reached with its lock held (SerenityOS
// SpinlockProtected). The lock is private; `with` takes it for the duration of the callback.
//
//   smp::Protected<RunQueue, RunqueueLock> rq_;
//   rq_.with([&](RunQueue& q) { q.push(thread); });
//
// For an RwSpinLock, with_shared gives const access under the read lock.
// Do not let a reference to the value escape the callback: nothing can check that.
#pragma once

#include "smp/locks/guard.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <typename T, typename Lock>
class Protected {
 public:
  template <typename... Args>
  explicit constexpr Protected(Args&&... args) : value_(static_cast<Args&&>(args)...) {}
  Protected(const Protected&) = delete;
  Protected& operator=(const Protected&) = delete;

  template <typename F>
  decltype(auto) with(F&& f, Site site = Site::here()) {
    Guard guard{lock_, site};
    return static_cast<F&&>(f)(value_);
  }

  // Two objects of one class in a stated order (lockdep: ascending keys).
  template <typename F>
  decltype(auto) with(NestKey key, F&& f, Site site = Site::here()) {
    Guard guard{lock_, key, site};
    return static_cast<F&&>(f)(value_);
  }

  template <typename F>
  decltype(auto) with_shared(F&& f, Site site = Site::here()) const
    requires requires(Lock& l) { l.acquire_shared(); }
  {
    ReadGuard guard{lock_, site};
    return static_cast<F&&>(f)(static_cast<const T&>(value_));
  }

  // The lock, for TA_REQ annotations and assertions (not for locking around `with`).
  Lock& lock() TA_RET_CAP(lock_) { return lock_; }

 private:
  mutable Lock lock_;
  T value_ TA_GUARDED(lock_);
};

}  // namespace smp
