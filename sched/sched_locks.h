// The scheduler's lock classes (docs/locking.md has the kernel-wide hierarchy; docs/scheduling.md
// the scheduler's part of it):
//   wait-queue (25)  a wait queue's waiter list; taken outside runqueue locks (wake-ups run
//                    with it held and then lock the woken thread's runqueue)
//   runqueue   (30)  one per CPU; two at once only in ascending CPU order (NestKey = CPU)
#pragma once

#include "smp/locks/locks.h"

namespace sched {

inline constinit smp::LockClass kWaitQueueLockClass{"wait-queue", smp::LockRank{25}};
inline constinit smp::LockClass kRunqueueLockClass{"runqueue", smp::LockRank{30}};

using WaitQueueLock = smp::TicketSpinLock<smp::IrqSave, kWaitQueueLockClass>;
using RunqueueLock = smp::TicketSpinLock<smp::IrqSave, kRunqueueLockClass>;

}  // namespace sched
