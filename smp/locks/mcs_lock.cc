#include "smp/locks/mcs_lock.h"

namespace smp::raw {

void McsLock::acquire_slow(SpinWait& wait, std::uintptr_t seen) {
  if (acquire_pending(wait, seen)) return;
  acquire_queued(wait);
}

bool McsLock::acquire_pending(SpinWait& wait, std::uintptr_t seen) {
  // Only when the lock is held and nobody else waits; otherwise queue behind them.
  if ((seen & ~kLocked) != 0) return false;
  // Relaxed: claiming the pending slot orders nothing; the CAS that takes bit 0 below does.
  const std::uintptr_t old = word_.fetch_or(kPending, std::memory_order_relaxed);
  if ((old & ~kLocked) != 0) {
    // Somebody was pending or queued already. If the bit is ours, give it back before
    // queueing: the queue head waits for it to clear. Relaxed: as above.
    if ((old & kPending) == 0) word_.fetch_and(~kPending, std::memory_order_relaxed);
    return false;
  }
  // The pending slot is ours: we are next. Wait for the holder to clear bit 0, then trade
  // pending for locked, keeping whatever tail has been swapped in meanwhile. A CAS rather than
  // an add: an unqueued (out-of-nodes) CPU may take bit 0 first; then wait again.
  for (;;) {
    // Acquire: pairs with the holder's release in release().
    std::uintptr_t w = word_.load(std::memory_order_acquire);
    if ((w & kLocked) == 0 &&
        // Acquire: as the load above.
        word_.compare_exchange_weak(w, (w & ~kPending) | kLocked, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return true;
    }
    if ((w & kLocked) != 0) wait.pause();
  }
}

void McsLock::acquire_unqueued(SpinWait& wait) {
  // Out of queue nodes (deep interrupt nesting): plain test-and-set on the word. Taking bit 0
  // while others are pending or queued is allowed: they then simply wait one more hold.
  for (;;) {
    std::uintptr_t w = word_.load(std::memory_order_relaxed);
    // Acquire on success: pairs with the release in release().
    if ((w & kLocked) == 0 &&
        word_.compare_exchange_weak(w, w | kLocked, std::memory_order_acquire,
                                    std::memory_order_relaxed)) {
      return;
    }
    wait.pause();
  }
}

void McsLock::acquire_queued(SpinWait& wait) {
  CpuLockState& state = platform::cpu_lock_state();
  if (state.mcs_depth >= CpuLockState::kMcsNodes) {
    acquire_unqueued(wait);
    return;
  }
  // LIFO allocation: an interrupt that nests here takes the next node and gives it back
  // before we resume, so the plain increment is safe against our own interrupt handlers.
  McsNode* node = &state.mcs_nodes[state.mcs_depth++];
  node->next.store(nullptr, std::memory_order_relaxed);
  node->is_head.store(0, std::memory_order_relaxed);

  // Swap our node in as the tail, keeping the locked and pending bits. Release: a successor
  // that finds our node in the word (and links itself into node->next) must see the
  // initialisation above. Acquire: we read the predecessor's node fields below.
  const std::uintptr_t mine = reinterpret_cast<std::uintptr_t>(node);
  std::uintptr_t old = word_.load(std::memory_order_relaxed);
  while (!word_.compare_exchange_weak(old, mine | (old & kLowBits), std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
  }
  auto* prev = reinterpret_cast<McsNode*>(old & kTailMask);

  if (prev != nullptr) {
    // Release: the predecessor reads our node (is_head) after seeing this pointer.
    prev->next.store(node, std::memory_order_release);
    // Acquire: pairs with the predecessor's release store of is_head; from then on we are
    // the only queued CPU allowed to take bit 0.
    while (node->is_head.load(std::memory_order_acquire) == 0) wait.pause();
  }

  // Queue head: wait until neither a holder nor a pending CPU is ahead of us, then take bit 0.
  for (;;) {
    // Acquire: pairs with the holder's release in release().
    std::uintptr_t w = word_.load(std::memory_order_acquire);
    if ((w & kLowBits) != 0) {
      // Held, or a pending CPU is next (or a contender that saw our tail is about to clear
      // the pending bit it set by mistake).
      wait.pause();
      continue;
    }
    if ((w & kTailMask) == mine) {
      // We are also the tail: nobody queued behind us. Empty the queue and lock in one CAS;
      // if it fails, a successor has just swapped itself in: go round and take the other path.
      if (word_.compare_exchange_strong(w, kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        break;
      }
      continue;
    }
    // Others are queued behind us, so the word cannot become 0 and the fast path cannot
    // succeed; a contender may still set pending by mistake and an unqueued (out-of-nodes) CPU
    // may race us for bit 0, hence a CAS and not a plain OR. It also fails when another waiter
    // swaps the tail: go round then. Acquire: as the load above.
    if (!word_.compare_exchange_strong(w, w | kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      continue;
    }
    // The successor swapped itself in as tail before linking into node->next: wait for the
    // link (a few instructions on the successor's side). Acquire: pairs with its release.
    McsNode* next;
    while ((next = node->next.load(std::memory_order_acquire)) == nullptr) wait.pause();
    // Release: the successor's reads of the queue state happen after our take-over.
    next->is_head.store(1, std::memory_order_release);
    break;
  }
  --state.mcs_depth;  // the node is free: nobody references it any more
}

}  // namespace smp::raw
