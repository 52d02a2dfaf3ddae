#include "smp/locks/mcs_lock.h"

namespace smp::raw {

void McsLock::acquire_unqueued(SpinWait& wait) {
  // Out of queue nodes (deep interrupt nesting): plain test-and-set on the word. Taking bit 0
  // while others are queued is allowed: the queue head then simply waits one more hold.
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

void McsLock::acquire_slow(SpinWait& wait) {
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

  // Swap our node in as the tail, keeping bit 0. Release: a successor that finds our node in
  // the word (and links itself into node->next) must see the initialisation above.
  // Acquire: we read the predecessor's node fields below.
  const std::uintptr_t mine = reinterpret_cast<std::uintptr_t>(node);
  std::uintptr_t old = word_.load(std::memory_order_relaxed);
  while (!word_.compare_exchange_weak(old, mine | (old & kLocked), std::memory_order_acq_rel,
                                      std::memory_order_relaxed)) {
  }
  auto* prev = reinterpret_cast<McsNode*>(old & ~kLocked);

  if (prev != nullptr) {
    // Release: the predecessor reads our node (is_head) after seeing this pointer.
    prev->next.store(node, std::memory_order_release);
    // Acquire: pairs with the predecessor's release store of is_head; from then on we are
    // the only CPU allowed to take bit 0 away from the queue.
    while (node->is_head.load(std::memory_order_acquire) == 0) wait.pause();
  }

  // Queue head: wait for the holder to clear bit 0, then take it.
  for (;;) {
    // Acquire: pairs with the holder's release in release().
    std::uintptr_t w = word_.load(std::memory_order_acquire);
    if (w & kLocked) {
      wait.pause();
      continue;
    }
    if ((w & ~kLocked) == mine) {
      // We are also the tail: nobody queued behind us. Empty the queue and lock in one CAS;
      // if it fails, a successor has just swapped itself in: go round and take the other path.
      if (word_.compare_exchange_strong(w, kLocked, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        break;
      }
      continue;
    }
    // Others are queued behind us, so the word cannot become 0 and the fast path cannot
    // succeed; only an unqueued (out-of-nodes) CPU could race us for bit 0, hence a CAS and
    // not a plain OR. It also fails when another waiter swaps the tail: go round then.
    // Acquire: as the load above.
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
