// raw::McsLock: a queued spinlock in the style of Linux's qspinlock: one word, per-CPU queue
// nodes used only while waiting.
//
// The word holds the address of the last queued waiter's node (the tail) with bit 0 = locked.
//   - Uncontended: CAS 0 -> locked, release clears bit 0. No node is touched.
//   - Contended: the CPU takes one of its per-CPU nodes (CpuLockState::mcs_nodes), swaps it in
//     as the tail and, if there was a predecessor, links itself behind it and spins on its own
//     node until the predecessor makes it queue head. The head spins on the word until bit 0 is
//     clear, sets it, makes its successor head and frees its node.
// Waiters enter in the order their tail swaps succeed and get the lock in that order (FIFO);
// the fast path only succeeds when nobody is queued, so it cannot overtake a waiter. Each
// waiter spins on its own cache line; only the head touches the lock word.
//
// Why this layout rather than the 4-byte qspinlock (CPU number + nesting index in the tail,
// plus a pending bit): the tail here is a node address, so the lock needs no CPU-number
// encoding and the host (where threads, not CPUs, own nodes) runs the same code; the cost is
// 8 bytes instead of 4 and an atomic AND instead of a byte store on release. See
// docs/locking.md.
//
// Nesting: an interrupt that arrives while this CPU waits may wait on another McsLock with the
// next node; nodes are used LIFO. Past CpuLockState::kMcsNodes nested waits the CPU falls back
// to test-and-set on the word (unfair but correct), as Linux does.
//
// Needs preemption disabled around acquire(): the nodes are the current CPU's.
#pragma once

#include <atomic>
#include <cstdint>

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
    // Acquire on success: pairs with the release in release(). Fails if held or queued.
    return word_.compare_exchange_strong(expected, kLocked, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    if (!try_acquire()) acquire_slow(wait);
  }

  void acquire() TA_ACQ() {
    SpinWait wait(this, nullptr, nullptr);
    acquire(wait);
  }

  void release() TA_REL() {
    // Release: the critical section happens before the next holder's acquire of bit 0.
    // An atomic AND, not a store: waiters may be swapping the tail bits concurrently.
    word_.fetch_and(~kLocked, std::memory_order_release);
  }

  // Diagnostics and tests.
  bool is_locked() const { return (word_.load(std::memory_order_relaxed) & kLocked) != 0; }
  // The last queued waiter's node, or nullptr: tests watch it change to see a waiter enqueue.
  const void* queue_tail() const {
    return reinterpret_cast<const void*>(word_.load(std::memory_order_relaxed) & ~kLocked);
  }

 private:
  static constexpr std::uintptr_t kLocked = 1;
  static_assert(alignof(McsNode) > kLocked, "node addresses must leave bit 0 free");

  void acquire_slow(SpinWait& wait) TA_ACQ();
  void acquire_unqueued(SpinWait& wait) TA_ACQ();

  std::atomic<std::uintptr_t> word_{0};
};

}  // namespace smp::raw
