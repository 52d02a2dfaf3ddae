// SpinWait: the one body of every spin loop in the lock library.
//
//   SpinWait wait(this_lock, &kClass, holder_);   // once per acquisition attempt
//   while (!condition) wait.pause();
//
// pause() issues cpu_relax() (PAUSE), then platform::spin_wait_hook() (serves cross-CPU
// requests while interrupts are off), and, when PLEIADES_LOCK_SPIN_LIMIT is non-zero, checks
// every kCheckEvery pauses whether the wait has lasted longer than the spin limit. A stall is
// reported (lock, class, holder CPU) through platform::lock_violation, then the wait goes on
// with a fresh deadline: the kernel's handler panics; a host test's handler records it.
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/locks/config.h"
#include "smp/platform/platform.h"

namespace smp {

class LockClass;

// The spin limit in cycles (starts at PLEIADES_LOCK_SPIN_LIMIT; tests lower it). Only used
// when kSpinCheck.
std::uint64_t spin_limit();
void set_spin_limit(std::uint64_t cycles);

// Who holds a lock, for stall reports: written by the holder after acquiring (relaxed: it is a
// diagnostic hint, never used for synchronisation). A FIFO lock is handed to its next waiter at
// release, before that waiter has noticed and recorded itself; the waiter that sees itself next
// in line records that too (set_next), so a stall in the hand-over (the next waiter's virtual
// CPU not running: a lock convoy) still names a CPU: report_cpu().
class HolderCpu {
 public:
  void set_current() {
    if constexpr (kTrackHolder) {
      cpu_.store(platform::to_index(platform::current_cpu()), std::memory_order_relaxed);
    }
  }
  void clear() {
    if constexpr (kTrackHolder) cpu_.store(platform::kNoCpu, std::memory_order_relaxed);
  }
  std::uint32_t get() const { return cpu_.load(std::memory_order_relaxed); }
  // A waiter: the lock goes to the current CPU at the next release.
  void set_next() const {
    if constexpr (kTrackHolder) {
      next_.store(platform::to_index(platform::current_cpu()), std::memory_order_relaxed);
    }
  }
  // For the stall report: the recorded holder, else the CPU the lock was last handed to (next in
  // line when it was released), else kNoCpu.
  std::uint32_t report_cpu() const {
    const std::uint32_t holder = get();
    return holder != platform::kNoCpu ? holder : next_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint32_t> cpu_{platform::kNoCpu};
  // Written by waiters through the const view SpinWait has: a hint, like cpu_.
  mutable std::atomic<std::uint32_t> next_{platform::kNoCpu};
};

class SpinWait {
 public:
  static constexpr std::uint32_t kCheckEvery = 256;

  // `lock`, `cls` and `holder` only feed the stall report; `cls` and `holder` may be null.
  SpinWait(const void* lock, LockClass* cls, const HolderCpu* holder)
      : lock_(lock), cls_(cls), holder_(holder) {}

  // The lock's FIFO order makes this CPU the next holder (ticket locks call it); recorded once
  // per wait for the stall report.
  void next_in_line() {
    if (holder_ != nullptr && !next_noted_) {
      holder_->set_next();
      next_noted_ = true;
    }
  }

  void pause() {
    platform::cpu_relax();
    platform::spin_wait_hook();
    if constexpr (kSpinCheck) {
      if (++spins_ % kCheckEvery == 0) check_deadline();
    }
  }

 private:
  void check_deadline();

  const void* lock_;
  LockClass* cls_;
  const HolderCpu* holder_;
  std::uint32_t spins_ = 0;
  std::uint64_t started_ = 0;
  bool next_noted_ = false;
};

}  // namespace smp
