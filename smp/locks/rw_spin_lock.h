// RwSpinLock<Irq, Class>: the writer-preferring reader-writer spinlock (raw::RwLock) with the
// same IRQ, preemption, lockdep and lockstat behaviour as SpinLock. BasicRwSpinLock is that
// wrapper over any raw reader-writer lock; a raw lock whose shared side takes the reader's CPU
// number (raw::PercpuRwLock, percpu_rw_spin_lock.h) gets this CPU's, read once preemption is
// off, so acquire_shared and release_shared pass the same one.
//
//   smp::ReadGuard reader{lock_};   // shared
//   smp::Guard writer{lock_};       // exclusive
//
// Lockdep treats a read acquisition like an exclusive one: with writer preference, reader A
// holding X while waiting for Y and reader B holding Y while waiting for X deadlock as soon as
// a writer waits on each, so read-side inversions are real bugs too.
#pragma once

#include <cstdint>

#include "smp/locks/lock_policy.h"
#include "smp/locks/rw_lock.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp {

template <typename Raw, IrqPolicy Irq, LockClass& Class>
class TA_CAP("rwlock") BasicRwSpinLock {
 public:
  using Policy = Irq;

  constexpr BasicRwSpinLock() = default;
  BasicRwSpinLock(const BasicRwSpinLock&) = delete;
  BasicRwSpinLock& operator=(const BasicRwSpinLock&) = delete;

  static LockClass& lock_class() { return Class; }

  LockToken acquire_shared(NestKey key = {}, Site site = Site::here()) TA_ACQ_SHARED() {
    LockToken token = detail::enter<Irq>(Class, this, site, __builtin_return_address(0), key);
    // Preemption is off from enter() on: the CPU number stays valid until release_shared().
    const std::uint32_t cpu = reader_cpu();
    bool contended = false;
    std::uint64_t started = 0;
    if (!raw_try_shared(cpu)) {
      contended = true;
      started = detail::wait_start();
      SpinWait wait(this, &Class, &writer_);
      if constexpr (kPerCpuReaders) {
        raw_.acquire_shared(cpu, wait);
      } else {
        raw_.acquire_shared(wait);
      }
    }
    detail::acquired(Class, token, contended, started);
    return token;
  }

  // Takes a read lock only if no writer holds or waits for it right now; on success fills
  // `token` (give it back to release_shared).
  bool try_acquire_shared(LockToken& token, NestKey key = {}, Site site = Site::here())
      TA_TRY_ACQ_SHARED(true) {
    LockToken t = detail::enter_try<Irq>();
    if (!raw_try_shared(reader_cpu())) {
      detail::try_failed<Irq>(t);
      return false;
    }
    detail::try_succeeded<Irq>(Class, this, site, __builtin_return_address(0), key);
    detail::acquired(Class, t, false, 0);
    token = t;
    return true;
  }

  // Per-CPU readers: runs on the CPU that acquired (preemption stayed off for the hold).
  void release_shared(LockToken token) TA_REL_SHARED() {
    detail::releasing(Class, token);
    if constexpr (kPerCpuReaders) {
      raw_.release_shared(reader_cpu());
    } else {
      raw_.release_shared();
    }
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

  const Raw& raw() const { return raw_; }

 private:
  static constexpr bool kPerCpuReaders = requires(Raw& r) { r.release_shared(0u); };

  static std::uint32_t reader_cpu() {
    if constexpr (kPerCpuReaders) {
      return platform::to_index(platform::current_cpu());
    } else {
      return 0;
    }
  }
  bool raw_try_shared(std::uint32_t cpu) {
    if constexpr (kPerCpuReaders) {
      return raw_.try_acquire_shared(cpu);
    } else {
      return raw_.try_acquire_shared();
    }
  }

  Raw raw_;
  // Written by writers only; after raw_ (a per-CPU raw lock ends on a whole cache line).
  HolderCpu writer_;
};

template <IrqPolicy Irq, LockClass& Class>
using RwSpinLock = BasicRwSpinLock<raw::RwLock, Irq, Class>;

}  // namespace smp
