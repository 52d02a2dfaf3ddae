// raw::TicketLock: FIFO spinlock. A CPU takes a ticket (fetch-and-add on next_) and waits until
// owner_ reaches it; release hands the lock to the next ticket. Fair, 8 bytes, but every waiter
// spins on the same cache line, so each release invalidates all waiters (use McsLock for locks
// with many contenders).
//
// On virtual CPUs (platform::virtual_cpus) a waiter first tries a few times to take the lock
// when it is free, as Linux's spinlocks are test-and-set on a hypervisor without paravirtual
// spinlocks (virt_spin_lock): the lock goes to a waiter that is running. In line, the next
// ticket's CPU may be stopped by the host, and every waiter behind it spins until the host runs
// it again: under QEMU with 8 virtual CPUs on 2 host cores that made a pipe-heavy load
// (hackbench) 5-10x slower. Only a few tries (kFreeTries), then a ticket: unbounded, a waiter
// could lose every race, and a cross-CPU futex ping-pong at -smp 2 took 476-900 us per round
// trip instead of 55.
//
// Raw primitives do no preemption, IRQ, lockdep or lockstat work: use them through
// SpinLock<raw::TicketLock, ...> (spin_lock.h).
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"
#include "smp/platform/platform.h"

namespace smp::raw {

class TA_CAP("spinlock") TicketLock {
 public:
  constexpr TicketLock() = default;
  TicketLock(const TicketLock&) = delete;
  TicketLock& operator=(const TicketLock&) = delete;

  // Takes the lock only if nobody holds or waits for it.
  bool try_acquire() TA_TRY_ACQ(true) {
    // Acquire: if the CAS below succeeds, this load read the release store of the last
    // release(), which orders that holder's critical section before ours.
    std::uint32_t owner = owner_.load(std::memory_order_acquire);
    std::uint32_t expected = owner;
    // Relaxed on success is enough: the ordering came from the owner_ load above; the CAS
    // only claims the ticket.
    return next_.compare_exchange_strong(expected, owner + 1, std::memory_order_relaxed,
                                         std::memory_order_relaxed);
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    if (try_acquire()) return;  // free, nobody waiting: taken as a ticket would take it
    if (platform::virtual_cpus()) {
      // Test and test-and-set: wait until free without writing, then claim it. A waiter in line
      // keeps the lock looking taken, so it still goes first.
      for (std::uint32_t tries = 0; tries < kFreeTries; ++tries) {
        while (is_locked()) wait.pause();
        if (try_acquire()) return;
      }
    }
    // Relaxed: taking a ticket orders nothing; the acquire load of owner_ below does.
    const std::uint32_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
    // Acquire: pairs with the release store in release() of the previous holder.
    for (std::uint32_t owner; (owner = owner_.load(std::memory_order_acquire)) != ticket;) {
      // Next in line: the lock is handed to this CPU at the next release, perhaps while it is
      // not running (a descheduled virtual CPU); the stall report then names it.
      if (owner + 1 == ticket) wait.next_in_line();
      wait.pause();
    }
  }

  void acquire() TA_ACQ() {
    SpinWait wait(this, nullptr, nullptr);
    acquire(wait);
  }

  void release() TA_REL() {
    // Only the holder writes owner_, so a relaxed read of our own last value is exact.
    const std::uint32_t next_owner = owner_.load(std::memory_order_relaxed) + 1;
    // Release: the critical section's accesses happen before the next holder's acquire load.
    owner_.store(next_owner, std::memory_order_release);
  }

  // Diagnostics and tests: whether somebody holds it, and how many CPUs wait behind the holder.
  bool is_locked() const {
    return next_.load(std::memory_order_relaxed) != owner_.load(std::memory_order_relaxed);
  }
  std::uint32_t waiters() const {
    const std::uint32_t n = next_.load(std::memory_order_relaxed) -
                            owner_.load(std::memory_order_relaxed);
    return n == 0 ? 0 : n - 1;
  }

 private:
  // Races for a free lock a waiter may lose on virtual CPUs before it takes a ticket.
  static constexpr std::uint32_t kFreeTries = 4;
  // Tickets wrap at 2^32: correct as long as fewer than 2^32 CPUs wait at once.
  Atomic<std::uint32_t> next_{0};
  Atomic<std::uint32_t> owner_{0};
};

}  // namespace smp::raw
