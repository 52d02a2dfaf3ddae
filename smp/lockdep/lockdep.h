// Lockdep: run-time lock-order checking (PLEIADES_LOCKDEP; docs/locking.md has the rules).
//
// Every acquisition through SpinLock / RwSpinLock / SeqLock calls on_acquire() before it spins
// (so an order violation is reported instead of deadlocking) and on_release() after it lets go.
// Checks, against the locks the CPU already holds in the same context (thread or interrupt):
//   - a non-IRQ-saving lock is not taken in interrupt context;
//   - ranks strictly increase (classes with rank 0 are unranked and skip this check);
//   - two locks of one class are taken with strictly ascending nest keys;
//   - the class edge held -> taken does not close a cycle in the graph of all edges observed so
//     far on any CPU (fixed-size adjacency matrix; first-seen sites kept for reports).
// Violations go to platform::lock_violation with both locks and their sites.
// Successful try-acquisitions cannot deadlock: they are pushed without order checks.
#pragma once

#include <cstdint>

#include "smp/locks/lock_class.h"
#include "smp/platform/platform.h"

namespace smp::lockdep {

struct Acquisition {
  LockClass* cls;
  const void* lock;
  platform::LockSite site;
  std::uint32_t nest_key;
  bool irq_safe;  // the lock's type saves and disables interrupts
  bool trylock;   // a successful try: record, do not check order
};

// Checks `a` against the locks held by this CPU and pushes it. Needs preemption disabled.
void on_acquire(const Acquisition& a);
// Pops `lock` from this CPU's held stack (any position); reports kNotHeld if it is not there.
void on_release(LockClass* cls, const void* lock, platform::LockSite site);

// The number of locks this CPU holds as lockdep sees them, and whether `lock` is one of them.
std::uint32_t held_count();
bool holds(const void* lock);

// Whether class `from` has been observed held while `to` was taken (tests, diagnostics).
bool has_edge(LockClass& from, LockClass& to);

}  // namespace smp::lockdep
