// A minimal IRQ-saving test-and-set spinlock for mm's own structures (frame allocator, heap,
// kernel page tables). Interim: the ranked lock library replaces it later. Order inside mm:
// heap lock -> frame lock, kernel page-table lock -> frame lock; the frame lock is a leaf, and no
// lock outside mm is taken while an mm lock is held (fault reports run after release, except a
// panic, which stops the kernel).
//
// The type says how it behaves: taking it always disables interrupts first (an interrupt handler
// that allocates would otherwise deadlock against the interrupted holder on the same CPU), and
// it is only taken through the [[nodiscard]] IrqSpinGuard.
#pragma once

#include <atomic>

#include "smp/irq_guard.h"
#include "smp/platform/platform.h"

namespace mm {

class IrqSpinLock {
 public:
  IrqSpinLock() = default;
  IrqSpinLock(const IrqSpinLock&) = delete;
  IrqSpinLock& operator=(const IrqSpinLock&) = delete;

 private:
  friend class IrqSpinGuard;
  void acquire() {
    // Test-and-test-and-set: spin on a plain load so waiting CPUs do not bounce the line.
    // acquire ordering pairs with the release in release(): the holder's writes are visible.
    while (held_.exchange(true, std::memory_order_acquire)) {
      while (held_.load(std::memory_order_relaxed)) platform::cpu_relax();
    }
  }
  void release() { held_.store(false, std::memory_order_release); }

  std::atomic<bool> held_{false};
};

class [[nodiscard]] IrqSpinGuard {
 public:
  explicit IrqSpinGuard(IrqSpinLock& lock) : lock_(lock) { lock_.acquire(); }
  ~IrqSpinGuard() { lock_.release(); }
  IrqSpinGuard(const IrqSpinGuard&) = delete;
  IrqSpinGuard& operator=(const IrqSpinGuard&) = delete;

 private:
  // Declared first so interrupts go off before the lock is taken and come back after release.
  smp::IrqGuard irq_;
  IrqSpinLock& lock_;
};

}  // namespace mm
