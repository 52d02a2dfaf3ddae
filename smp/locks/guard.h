// Guards: the normal way to hold a lock. [[nodiscard]] so `Guard{lock};` (a temporary that
// unlocks at once) does not compile quietly; the site (file:line) of the declaration is what
// lockdep reports.
//
//   smp::Guard guard{lock_};                      // exclusive (SpinLock, RwSpinLock writer)
//   smp::Guard guard{rq_lock, smp::NestKey{cpu}}; // second lock of one class: ascending keys
//   smp::ReadGuard guard{rw_lock_};               // RwSpinLock reader
#pragma once

#include "smp/locks/lock_policy.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <typename Lock>
class [[nodiscard]] TA_SCOPED_CAP Guard {
 public:
  explicit Guard(Lock& lock, Site site = Site::here()) TA_ACQ(lock)
      : lock_(lock), token_(lock.acquire(NestKey{}, site)) {}
  Guard(Lock& lock, NestKey key, Site site = Site::here()) TA_ACQ(lock)
      : lock_(lock), token_(lock.acquire(key, site)) {}
  ~Guard() TA_REL() {
    if (held_) lock_.release(token_);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Releases before the end of the scope; the destructor then does nothing.
  void release() TA_REL() {
    lock_.release(token_);
    held_ = false;
  }

 private:
  Lock& lock_;
  LockToken token_;
  bool held_ = true;
};

template <typename Lock>
class [[nodiscard]] TA_SCOPED_CAP ReadGuard {
 public:
  explicit ReadGuard(Lock& lock, Site site = Site::here()) TA_ACQ_SHARED(lock)
      : lock_(lock), token_(lock.acquire_shared(NestKey{}, site)) {}
  ReadGuard(Lock& lock, NestKey key, Site site = Site::here()) TA_ACQ_SHARED(lock)
      : lock_(lock), token_(lock.acquire_shared(key, site)) {}
  ~ReadGuard() TA_REL() { lock_.release_shared(token_); }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

 private:
  Lock& lock_;
  LockToken token_;
};

}  // namespace smp
