// PercpuRwSpinLock<Irq, Class, kSlots>: the reader-scalable reader-writer spinlock
// (raw::PercpuRwLock: one reader count per CPU) with the same IRQ, preemption, lockdep and
// lockstat behaviour as RwSpinLock, and the same guards:
//
//   smp::ReadGuard reader{lock_};   // shared: touches only this CPU's line and reads one more
//   smp::Guard writer{lock_};       // exclusive: claims the lock, then scans every CPU's line
//
// Choose it over RwSpinLock for data read on many CPUs at once and written rarely (writes cost
// kSlots loads and take far longer when readers are busy); docs/locking.md compares the two.
// The reader's slot is current_cpu() taken after preemption is disabled; preemption stays
// disabled for the hold, so release_shared() finds the same slot.
//
// Lockdep treats a read acquisition like an exclusive one, as for RwSpinLock (writer
// preference makes read-side order inversions real deadlocks).
#pragma once

#include "smp/locks/lock_policy.h"
#include "smp/locks/percpu_rw_lock.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <IrqPolicy Irq, LockClass& Class,
          std::uint32_t kSlots = raw::kPercpuRwDefaultSlots>
class TA_CAP("rwlock") PercpuRwSpinLock {
 public:
  using Policy = Irq;

  constexpr PercpuRwSpinLock() = default;
  PercpuRwSpinLock(const PercpuRwSpinLock&) = delete;
  PercpuRwSpinLock& operator=(const PercpuRwSpinLock&) = delete;

  static LockClass& lock_class() { return Class; }

  LockToken acquire_shared(NestKey key = {}, Site site = Site::here()) TA_ACQ_SHARED() {
    LockToken token = detail::enter<Irq>(Class, this, site, __builtin_return_address(0), key);
    // Preemption is off from enter() on: the CPU number is stable until release_shared().
    const std::uint32_t cpu = this_cpu();
    bool contended = false;
    std::uint64_t started = 0;
    if (!raw_.try_acquire_shared(cpu)) {
      contended = true;
      started = detail::wait_start();
      SpinWait wait(this, &Class, &writer_);
      raw_.acquire_shared(cpu, wait);
    }
    detail::acquired(Class, token, contended, started);
    return token;
  }

  // Takes a read lock only if no writer holds or waits for it right now; on success fills
  // `token` (give it back to release_shared).
  bool try_acquire_shared(LockToken& token, NestKey key = {}, Site site = Site::here())
      TA_TRY_ACQ_SHARED(true) {
    LockToken t = detail::enter_try<Irq>();
    if (!raw_.try_acquire_shared(this_cpu())) {
      detail::try_failed<Irq>(t);
      return false;
    }
    detail::try_succeeded<Irq>(Class, this, site, __builtin_return_address(0), key);
    detail::acquired(Class, t, false, 0);
    token = t;
    return true;
  }

  // Must run on the CPU that acquired (guaranteed: preemption is off for the hold).
  void release_shared(LockToken token) TA_REL_SHARED() {
    detail::releasing(Class, token);
    raw_.release_shared(this_cpu());
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

  const raw::PercpuRwLock<kSlots>& raw() const { return raw_; }

 private:
  static std::uint32_t this_cpu() { return platform::to_index(platform::current_cpu()); }

  raw::PercpuRwLock<kSlots> raw_;
  // Written by writers only: its own line (after raw_'s), away from the readers' slots.
  HolderCpu writer_;
};

}  // namespace smp
