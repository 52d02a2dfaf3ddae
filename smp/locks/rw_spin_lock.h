// RwSpinLock<Irq, Class>: the writer-preferring reader-writer spinlock (raw::RwLock) with the
// same IRQ, preemption, lockdep and lockstat behaviour as SpinLock.
//
//   smp::ReadGuard reader{lock_};   // shared
//   smp::Guard writer{lock_};       // exclusive
//
// Lockdep treats a read acquisition like an exclusive one: with writer preference, reader A
// holding X while waiting for Y and reader B holding Y while waiting for X deadlock as soon as
// a writer waits on each, so read-side inversions are real bugs too.
#pragma once

#include "smp/locks/lock_policy.h"
#include "smp/locks/rw_lock.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <IrqPolicy Irq, LockClass& Class>
class TA_CAP("rwlock") RwSpinLock {
 public:
  using Policy = Irq;

  constexpr RwSpinLock() = default;
  RwSpinLock(const RwSpinLock&) = delete;
  RwSpinLock& operator=(const RwSpinLock&) = delete;

  static LockClass& lock_class() { return Class; }

  LockToken acquire_shared(NestKey key = {}, Site site = Site::here()) TA_ACQ_SHARED() {
    LockToken token = detail::enter<Irq>(Class, this, site, __builtin_return_address(0), key);
    bool contended = false;
    std::uint64_t started = 0;
    if (!raw_.try_acquire_shared()) {
      contended = true;
      started = detail::wait_start();
      SpinWait wait(this, &Class, &writer_);
      raw_.acquire_shared(wait);
    }
    detail::acquired(Class, token, contended, started);
    return token;
  }

  // Takes a read lock only if no writer holds or waits for it right now; on success fills
  // `token` (give it back to release_shared).
  bool try_acquire_shared(LockToken& token, NestKey key = {}, Site site = Site::here())
      TA_TRY_ACQ_SHARED(true) {
    LockToken t = detail::enter_try<Irq>();
    if (!raw_.try_acquire_shared()) {
      detail::try_failed<Irq>(t);
      return false;
    }
    detail::try_succeeded<Irq>(Class, this, site, __builtin_return_address(0), key);
    detail::acquired(Class, t, false, 0);
    token = t;
    return true;
  }

  void release_shared(LockToken token) TA_REL_SHARED() {
    detail::releasing(Class, token);
    raw_.release_shared();
    detail::left<Irq>(Class, this, token);
  }

  LockToken acquire(NestKey key = {}, Site site = Site::here()) TA_ACQ() {
    LockToken token = detail::enter<Irq>(Class, this, site, __builtin_return_address(0), key);
    bool contended = false;
    std::uint64_t started = 0;
    if (!raw_.try_acquire()) {
      contended = true;
      started = detail::wait_start();
      // A writer waits for readers, whose CPUs are not recorded: the report names the last
      // writer, or none.
      SpinWait wait(this, &Class, &writer_);
      raw_.acquire(wait);
    }
    writer_.set_current();
    detail::acquired(Class, token, contended, started);
    return token;
  }

  void release(LockToken token) TA_REL() {
    detail::releasing(Class, token);
    writer_.clear();
    raw_.release();
    detail::left<Irq>(Class, this, token);
  }

  const raw::RwLock& raw() const { return raw_; }

 private:
  raw::RwLock raw_;
  HolderCpu writer_;
};

}  // namespace smp
