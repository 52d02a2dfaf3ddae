// The console lock: an IRQ-saving test-and-set spinlock with a bounded wait, until the lock
// library arrives (docs/locking.md). Bounded because a console must never hang the kernel: a
// CPU that stopped while holding it (a panic, a fault inside a console driver) would otherwise
// silence every other CPU. On timeout the caller writes anyway (an interleaved line is better
// than a silent hang) and the timeout is counted.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/platform/platform.h"

namespace klog {

class ConsoleLock {
 public:
  struct Token {
    bool held;                // false: the wait timed out, the caller writes without the lock
    platform::IrqState irq;  // interrupt state before lock(), restored by unlock()
  };

  // Disables interrupts, then spins for the lock at most kMaxSpins times. unlock() must be
  // called with the token either way.
  [[nodiscard]] Token lock() {
    const platform::IrqState irq = platform::irq_save_disable();
    for (std::uint64_t i = 0; i < kMaxSpins; ++i) {
      if (!held_.exchange(true, std::memory_order_acquire)) return {true, irq};
      // Spin on a plain load so the cache line stays shared while another CPU holds it.
      while (held_.load(std::memory_order_relaxed) && ++i < kMaxSpins) platform::cpu_relax();
    }
    timeouts_.fetch_add(1, std::memory_order_relaxed);
    return {false, irq};
  }
  void unlock(Token token) {
    if (token.held) held_.store(false, std::memory_order_release);
    platform::irq_restore(token.irq);
  }
  std::uint64_t timeouts() const { return timeouts_.load(std::memory_order_relaxed); }

 private:
  // About a second of PAUSE loops on current CPUs: far longer than any line takes to print.
  static constexpr std::uint64_t kMaxSpins = 50'000'000;
  std::atomic<bool> held_{false};
  std::atomic<std::uint64_t> timeouts_{0};
};

// RAII: lock()/unlock() for one scope.
class [[nodiscard]] ConsoleLockGuard {
 public:
  explicit ConsoleLockGuard(ConsoleLock& lock) : lock_(lock), token_(lock.lock()) {}
  ~ConsoleLockGuard() { lock_.unlock(token_); }
  ConsoleLockGuard(const ConsoleLockGuard&) = delete;
  ConsoleLockGuard& operator=(const ConsoleLockGuard&) = delete;

 private:
  ConsoleLock& lock_;
  ConsoleLock::Token token_;
};

}  // namespace klog
