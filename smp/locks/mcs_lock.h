// raw::McsLock: a queued spinlock in the style of Linux's qspinlock: one word, a pending bit for
// the second contender, per-CPU queue nodes used only while waiting.
//
// The word holds the address of the last queued waiter's node (the tail; nodes are 64-byte
// aligned, so the low 6 bits are free), bit 0 = locked and bit 1 = pending.
//   - Uncontended: CAS 0 -> locked, release clears bit 0. No node is touched.
//   - Second contender (held, nobody pending or queued): sets pending and spins on the word
//     until bit 0 clears, then trades pending for locked in one CAS. No node either: with two
//     CPUs a hand-over moves one cache line, the word, instead of the word and two nodes.
//   - Further contenders: the CPU takes one of its per-CPU nodes (CpuLockState::mcs_nodes),
//     swaps it in as the tail and, if there was a predecessor, links itself behind it and spins
//     on its own node until the predecessor makes it queue head. The head spins on the word
//     until locked and pending are both clear, sets locked, makes its successor head and frees
//     its node.
// Order: the pending CPU first, then the queue in the order the tail swaps succeeded (FIFO).
// The fast path only succeeds when nobody holds, is pending or is queued, and a contender only
// takes the pending bit when nobody is queued, so nobody overtakes a waiter. Each queued
// waiter spins on its own cache line; only the pending CPU and the head touch the lock word.
// A contender that sets pending just as a queue appears sees the tail in the old value and
// clears its pending bit again before queueing (as qspinlock does).
//
// Why this layout rather than the 4-byte qspinlock (CPU number + nesting index in the tail):
// the tail here is a node address, so the lock needs no CPU-number encoding and the host
// (where threads, not CPUs, own nodes) runs the same code; the cost is 8 bytes instead of 4 and
// an atomic AND instead of a byte store on release. See docs/locking.md.
//
// Nesting: an interrupt that arrives while this CPU waits may wait on another McsLock with the
// next node; nodes are used LIFO. Past CpuLockState::kMcsNodes nested waits the CPU falls back
// to test-and-set on the word (unfair but correct), as Linux does.
//
// Needs preemption disabled around acquire(): the nodes are the current CPU's.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/cpu_lock_state.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp::raw {

class TA_CAP("spinlock") McsLock {
 public:
  constexpr McsLock() = default;
  McsLock(const McsLock&) = delete;
  McsLock& operator=(const McsLock&) = delete;

  bool try_acquire() TA_TRY_ACQ(true) {
    std::uintptr_t expected = 0;
    // Acquire on success: pairs with the release in release(). Fails if held, pending or
    // queued.
    return word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    std::uintptr_t seen = 0;
    // Acquire on success: as in try_acquire(). On failure `seen` is the word, which the slow
    // path starts from.
    if (!word_.compare_exchange_strong(seen, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      acquire_slow(wait, seen);
    }
  }

  void acquire() TA_ACQ() {
    SpinWait wait(this, nullptr, nullptr);
    acquire(wait);
  }

  void release() TA_REL() {
    // Release: the critical section happens before the next holder's acquire of bit 0.
    // An atomic AND, not a store: waiters may be setting pending or swapping the tail bits
    // concurrently.
    word_.fetch_and(~kLocked, std::memory_order_release);
  }

  // Diagnostics and tests.
  bool is_locked() const { return (word_.load(std::memory_order_relaxed) & kLocked) != 0; }
  // The last queued waiter's node, or nullptr: tests watch it change to see a waiter enqueue.
  const void* queue_tail() const {
    return reinterpret_cast<const void*>(word_.load(std::memory_order_relaxed) & kTailMask);
  }
  // Whether a second contender waits in the pending slot (tests watch it to see it arrive).
  bool is_pending() const { return (word_.load(std::memory_order_relaxed) & kPending) != 0; }

 private:
  static constexpr std::uintptr_t kLocked = 1;
  static constexpr std::uintptr_t kPending = 2;
  static constexpr std::uintptr_t kLowBits = kLocked | kPending;
  static constexpr std::uintptr_t kTailMask = ~std::uintptr_t{63};
  static_assert(alignof(McsNode) >= 64, "node addresses must leave the low 6 bits free");

  // `seen`: the word as the failed fast path read it.
  void acquire_slow(SpinWait& wait, std::uintptr_t seen) TA_ACQ();
  bool acquire_pending(SpinWait& wait, std::uintptr_t seen) TA_TRY_ACQ(true);
  void acquire_queued(SpinWait& wait) TA_ACQ();
  void acquire_unqueued(SpinWait& wait) TA_ACQ();

  Atomic<std::uintptr_t> word_{0};
};

}  // namespace smp::raw
