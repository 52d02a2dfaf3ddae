// The scheduler's lock classes (docs/locking.md has the kernel-wide hierarchy; docs/scheduling.md
// the scheduler's part of it):
//   wait-queue (25)  a wait queue's waiter list; taken outside runqueue locks (wake-ups run
//                    with it held and then lock the woken thread's runqueue)
//   mutex-pi   (24)  all sleeping mutexes' waiter lists and priority-inheritance state
//                    (sched/sync/mutex.h); taken outside timer and runqueue locks
//   sched-timer (26) one per CPU, its timers (sched/timer_queue.h); taken inside wait-queue
//                    and mutex-pi locks (arming), runqueue locks inside it (expiry wakes)
//   runqueue   (30)  one per CPU; two at once only in ascending CPU order (NestKey = CPU)
#pragma once

#include "smp/locks/locks.h"

namespace sched {

inline constinit smp::LockClass kWaitQueueLockClass{"wait-queue", smp::LockRank{25}};
inline constinit smp::LockClass kRunqueueLockClass{"runqueue", smp::LockRank{30}};
inline constinit smp::LockClass kMutexPiLockClass{"mutex-pi", smp::LockRank{24}};
inline constinit smp::LockClass kTimerLockClass{"sched-timer", smp::LockRank{26}};

using WaitQueueLock = smp::TicketSpinLock<smp::IrqSave, kWaitQueueLockClass>;
using RunqueueLock = smp::TicketSpinLock<smp::IrqSave, kRunqueueLockClass>;
using MutexPiLock = smp::TicketSpinLock<smp::IrqSave, kMutexPiLockClass>;
using TimerLock = smp::TicketSpinLock<smp::IrqSave, kTimerLockClass>;

}  // namespace sched
