// What every lock wrapper does around its raw primitive, in one place:
//   IRQ policy   IrqSave saves and disables interrupts for the hold (data also touched by
//                interrupt handlers); NoIrqSave leaves them alone and, with lockdep, reports
//                being taken in interrupt context.
//   preemption   raised for the whole wait and hold (nests: preempt_count).
//   lockdep      checked before spinning, popped after releasing.
//   lockstat     contention, wait and hold times per class.
// A LockToken carries what the release needs back: the saved interrupt state and when the
// hold began. Guards keep it; manual acquire()/release() callers must pass it back.
#pragma once

#include <cstdint>
#include <type_traits>

#include "smp/lockdep/lockdep.h"
#include "smp/locks/config.h"
#include "smp/locks/lock_class.h"
#include "smp/locks/lock_site.h"
#include "smp/locks/lockstat.h"
#include "smp/platform/platform.h"

namespace smp {

struct IrqSave {
  static constexpr bool kSavesIrq = true;
};
struct NoIrqSave {
  static constexpr bool kSavesIrq = false;
};

template <typename T>
concept IrqPolicy = std::is_same_v<T, IrqSave> || std::is_same_v<T, NoIrqSave>;

// Orders two locks of one class: the second must have the larger key (e.g. CPU number for
// runqueues). Unkeyed acquisitions use key 0.
struct NestKey {
  std::uint32_t value = 0;
};

struct [[nodiscard]] LockToken {
  platform::IrqState irq{true};
  std::uint64_t since = 0;  // hold start in cycles (lockstat only)
};

namespace detail {

// Before spinning: interrupts (policy), preemption, then lockdep's order checks, so that an
// order violation is reported before it can deadlock.
template <IrqPolicy Irq>
LockToken enter(LockClass& cls, const void* lock, Site site, const void* ret, NestKey key) {
  LockToken token;
  if constexpr (Irq::kSavesIrq) token.irq = platform::irq_save_disable();
  platform::preempt_disable();
  if constexpr (kLockdep) {
    lockdep::on_acquire(lockdep::Acquisition{&cls, lock, to_lock_site(site, ret), key.value,
                                             Irq::kSavesIrq, /*trylock=*/false});
  }
  return token;
}

// Before a try: interrupts and preemption only; lockdep hears of it if it succeeds.
template <IrqPolicy Irq>
LockToken enter_try() {
  LockToken token;
  if constexpr (Irq::kSavesIrq) token.irq = platform::irq_save_disable();
  platform::preempt_disable();
  return token;
}

template <IrqPolicy Irq>
void try_succeeded(LockClass& cls, const void* lock, Site site, const void* ret, NestKey key) {
  if constexpr (kLockdep) {
    lockdep::on_acquire(lockdep::Acquisition{&cls, lock, to_lock_site(site, ret), key.value,
                                             Irq::kSavesIrq, /*trylock=*/true});
  }
}

// A try that failed: undo enter_try().
template <IrqPolicy Irq>
void try_failed(LockToken token) {
  platform::preempt_enable();
  if constexpr (Irq::kSavesIrq) platform::irq_restore(token.irq);
}

// After the lock is ours.
inline void acquired(LockClass& cls, LockToken& token, bool contended, std::uint64_t wait_start) {
  if constexpr (kLockstat) {
    token.since = platform::cycles();
    lockstat::record_acquire(cls, contended, contended ? token.since - wait_start : 0);
  }
}

// Before the raw release: the hold ends here.
inline void releasing(LockClass& cls, const LockToken& token) {
  if constexpr (kLockstat) lockstat::record_hold(cls, platform::cycles() - token.since);
}

// After the raw release.
template <IrqPolicy Irq>
void left(LockClass& cls, const void* lock, LockToken token) {
  if constexpr (kLockdep) lockdep::on_release(&cls, lock, platform::LockSite{});
  platform::preempt_enable();
  if constexpr (Irq::kSavesIrq) platform::irq_restore(token.irq);
}

inline std::uint64_t wait_start() {
  if constexpr (kLockstat) return platform::cycles();
  return 0;
}

}  // namespace detail
}  // namespace smp
