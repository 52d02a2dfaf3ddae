// CpuLockState: the lock bookkeeping one CPU keeps for itself: the queue nodes it uses while
// waiting on McsLocks and lockdep's stack of the locks it holds. The platform owns the storage
// (platform::cpu_lock_state(): per CPU in the kernel, per thread on the host) and zero-fills it.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/platform/platform.h"

namespace smp {

class LockClass;

// One waiter in an McsLock queue (mcs_lock.h). Cache-line sized and aligned so a waiter spins
// on a line nobody else writes until its predecessor hands over, and so the low bits of its
// address are free for the lock word's flag.
struct alignas(64) McsNode {
  Atomic<McsNode*> next{nullptr};
  Atomic<std::uint32_t> is_head{0};
};

// One entry of lockdep's held stack.
struct HeldLock {
  LockClass* cls;
  const void* lock;
  platform::LockSite site;
  std::uint32_t nest_key;
  bool in_interrupt;  // taken in interrupt context: checked only against same-context entries
};

struct CpuLockState {
  // Queue nodes nest with interrupt contexts: thread, interrupt, NMI/exception, and one spare
  // for a fault taken while waiting. Used strictly LIFO (a node is in use only while waiting).
  static constexpr std::uint32_t kMcsNodes = 4;
  McsNode mcs_nodes[kMcsNodes];
  std::uint32_t mcs_depth = 0;

  // Locks held right now, oldest first. Overflowing locks are counted, not recorded.
  static constexpr std::uint32_t kMaxHeld = 16;
  HeldLock held[kMaxHeld];
  std::uint32_t held_count = 0;
  std::uint32_t held_overflow = 0;
  // Set while lockdep itself reports, so a handler that takes locks is not checked recursively.
  bool in_lockdep = false;
};

}  // namespace smp
