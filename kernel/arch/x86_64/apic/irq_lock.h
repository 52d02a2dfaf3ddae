// An IRQ-saving test-and-set spinlock for the IOAPIC select/window pair, until the lock library
// (smp/locks) lands. The type says how it behaves: interrupts go off before the lock is taken
// (an interrupt handler that masks a GSI would otherwise deadlock against the interrupted
// holder), and it is only taken through the [[nodiscard]] IrqLockGuard. A leaf lock: nothing
// else is taken while it is held.
#pragma once

#include <atomic>

#include "smp/irq_guard.h"
#include "smp/platform/platform.h"

namespace apic {

class IrqLock {
 public:
  IrqLock() = default;
  IrqLock(const IrqLock&) = delete;
  IrqLock& operator=(const IrqLock&) = delete;

 private:
  friend class IrqLockGuard;
  void acquire() {
    // acquire pairs with release(): the previous holder's register writes happened before ours.
    while (held_.exchange(true, std::memory_order_acquire)) {
      while (held_.load(std::memory_order_relaxed)) platform::cpu_relax();
    }
  }
  void release() { held_.store(false, std::memory_order_release); }

  std::atomic<bool> held_{false};
};

class [[nodiscard]] IrqLockGuard {
 public:
  explicit IrqLockGuard(IrqLock& lock) : lock_(lock) { lock_.acquire(); }
  ~IrqLockGuard() { lock_.release(); }
  IrqLockGuard(const IrqLockGuard&) = delete;
  IrqLockGuard& operator=(const IrqLockGuard&) = delete;

 private:
  smp::IrqGuard irq_;  // first: interrupts off before the lock, back on after release
  IrqLock& lock_;
};

}  // namespace apic
