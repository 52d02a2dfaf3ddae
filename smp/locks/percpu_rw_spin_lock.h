// PercpuRwSpinLock<Irq, Class, kSlots>: the reader-scalable reader-writer spinlock
// (raw::PercpuRwLock: one reader count per CPU) with the same IRQ, preemption, lockdep and
// lockstat behaviour as RwSpinLock, and the same guards:
//
//   smp::ReadGuard reader{lock_};   // shared: touches only this CPU's line and reads one more
//   smp::Guard writer{lock_};       // exclusive: claims the lock, then scans every CPU's line
//
// Choose it over RwSpinLock for data read on many CPUs at once and written rarely (writes cost
// kSlots loads and take far longer when readers are busy); docs/locking.md compares the two.
// It is BasicRwSpinLock (rw_spin_lock.h) over raw::PercpuRwLock: the reader's slot is
// current_cpu() taken after preemption is disabled; preemption stays disabled for the hold, so
// release_shared() finds the same slot.
//
// Lockdep treats a read acquisition like an exclusive one, as for RwSpinLock (writer
// preference makes read-side order inversions real deadlocks).
#pragma once

#include <cstdint>

#include "smp/locks/percpu_rw_lock.h"
#include "smp/locks/rw_spin_lock.h"

namespace smp {

template <IrqPolicy Irq, LockClass& Class, std::uint32_t kSlots = raw::kPercpuRwDefaultSlots>
using PercpuRwSpinLock = BasicRwSpinLock<raw::PercpuRwLock<kSlots>, Irq, Class>;

}  // namespace smp
