// SpinLock<Raw, Irq, Class>: a mutual-exclusion spinlock whose type says everything about how
// it behaves: the algorithm (raw::TicketLock, raw::McsLock, raw::TasLock), the interrupt
// policy (IrqSave / NoIrqSave) and its lockdep/lockstat class.
//
//   constinit smp::LockClass kTimerQueueClass{"timer-queue", smp::LockRank{40}};
//   smp::SpinLock<smp::raw::TicketLock, smp::IrqSave, kTimerQueueClass> lock_;
//   ...
//   smp::Guard guard{lock_};          // guard.h; or Protected<T, Lock> (protected.h)
//
// Acquiring: interrupts off (IrqSave), preemption off, lockdep check, spin (cpu_relax +
// spin_wait_hook, stall deadline), lockstat. Releasing undoes it in reverse order.
#pragma once

#include "smp/locks/lock_policy.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <typename Raw>
concept RawExclusiveLock = requires(Raw raw, SpinWait& wait) {
  { raw.try_acquire() } -> std::same_as<bool>;
  raw.acquire(wait);
  raw.release();
};

template <RawExclusiveLock Raw, IrqPolicy Irq, LockClass& Class>
class TA_CAP("spinlock") SpinLock {
 public:
  using Policy = Irq;

  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  static LockClass& lock_class() { return Class; }

  // Takes the lock; returns what release() needs. Prefer Guard, which keeps the token.
  LockToken acquire(NestKey key = {}, Site site = Site::here()) TA_ACQ() {
    LockToken token = detail::enter<Irq>(Class, this, site, __builtin_return_address(0), key);
    bool contended = false;
    std::uint64_t started = 0;
    if (!raw_.try_acquire()) {
      contended = true;
      started = detail::wait_start();
      SpinWait wait(this, &Class, &holder_);
      raw_.acquire(wait);
    }
    holder_.set_current();
    detail::acquired(Class, token, contended, started);
    return token;
  }

  // Takes the lock if it is free right now; on success fills `token`.
  bool try_acquire(LockToken& token, NestKey key = {}, Site site = Site::here())
      TA_TRY_ACQ(true) {
    LockToken t = detail::enter_try<Irq>();
    if (!raw_.try_acquire()) {
      detail::try_failed<Irq>(t);
      return false;
    }
    detail::try_succeeded<Irq>(Class, this, site, __builtin_return_address(0), key);
    holder_.set_current();
    detail::acquired(Class, t, false, 0);
    token = t;
    return true;
  }

  void release(LockToken token) TA_REL() {
    detail::releasing(Class, token);
    holder_.clear();
    raw_.release();
    detail::left<Irq>(Class, this, token);
  }

  // The raw primitive, for diagnostics and tests (is_locked, waiters, queue_tail).
  const Raw& raw() const { return raw_; }
  // The CPU holding the lock as last recorded (kNoCpu if free or untracked).
  std::uint32_t holder_cpu() const { return holder_.get(); }

 private:
  Raw raw_;
  HolderCpu holder_;
};

}  // namespace smp
