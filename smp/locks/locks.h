// The lock library in one include, with the names most code should use:
//
//   TicketSpinLock<Irq, Class>  FIFO, one cache line: the default for lightly contended locks.
//   McsSpinLock<Irq, Class>     FIFO, each waiter spins on its own line: contended locks.
//   TasSpinLock<Irq, Class>     test-and-set with backoff, unfair: rarely contended locks.
//   RwSpinLock<Irq, Class>      writer-preferring reader-writer lock.
//   PercpuRwSpinLock<Irq, Class> the same with one reader count per CPU: readers scale,
//                               writers pay (read-mostly data read on many CPUs).
//   SeqLock<T, Irq, Class>      lock-free readers, locked writers.
//   Barrier                     sense-reversing spin barrier.
// with Guard / ReadGuard / Protected<T, Lock>. docs/locking.md explains when to use which.
#pragma once

#include "smp/locks/barrier.h"
#include "smp/locks/guard.h"
#include "smp/locks/lock_class.h"
#include "smp/locks/mcs_lock.h"
#include "smp/locks/percpu_rw_spin_lock.h"
#include "smp/locks/protected.h"
#include "smp/locks/rw_spin_lock.h"
#include "smp/locks/seqlock.h"
#include "smp/locks/spin_lock.h"
#include "smp/locks/tas_lock.h"
#include "smp/locks/ticket_lock.h"

namespace smp {

template <IrqPolicy Irq, LockClass& Class>
using TicketSpinLock = SpinLock<raw::TicketLock, Irq, Class>;
template <IrqPolicy Irq, LockClass& Class>
using McsSpinLock = SpinLock<raw::McsLock, Irq, Class>;
template <IrqPolicy Irq, LockClass& Class>
using TasSpinLock = SpinLock<raw::TasLock, Irq, Class>;

}  // namespace smp
