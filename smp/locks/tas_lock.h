// raw::TasLock: test-and-test-and-set with bounded exponential backoff. One byte of state
// (padded to 4), the cheapest uncontended path (one XCHG), no fairness: a releasing CPU often
// re-takes the lock before a backing-off waiter looks again. For rarely contended locks and
// for comparison with the fair locks (bench/locks/).
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp::raw {

class TA_CAP("spinlock") TasLock {
 public:
  // Backoff bounds in pauses: start at 16, double after each failed attempt, stop at 4096.
  // With PAUSE at 15-45 ns (Ice Lake ... Skylake-SP) the first look comes after 0.25-0.7 us
  // and the longest wait is 60-180 us, the same range in time as ck_spinlock_fas_lock_eb
  // (512 .. 2^20 empty loop iterations). Under contention the cost of a TAS lock is its
  // hand-overs: every look at the word pulls the line from the holder, and every look that
  // finds it free moves the lock and its data to another CPU. Starting at one pause made a
  // waiter look a dozen times in its first few microseconds; a higher ceiling only adds
  // hand-over latency for locks that are really contended (use McsLock or TicketLock there).
  static constexpr std::uint32_t kMinBackoff = 16;
  static constexpr std::uint32_t kMaxBackoff = 4096;

  constexpr TasLock() = default;
  TasLock(const TasLock&) = delete;
  TasLock& operator=(const TasLock&) = delete;

  bool try_acquire() TA_TRY_ACQ(true) {
    // The relaxed pre-read keeps a failing try from taking the line exclusive; the exchange
    // is acquire: it pairs with the release store in release().
    return locked_.load(std::memory_order_relaxed) == 0 &&
           locked_.exchange(1, std::memory_order_acquire) == 0;
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    std::uint32_t backoff = kMinBackoff;
    for (;;) {
      // Acquire: pairs with the release store in release().
      if (locked_.exchange(1, std::memory_order_acquire) == 0) return;
      do {
        for (std::uint32_t i = 0; i < backoff; ++i) wait.pause();
        backoff = backoff * 2 < kMaxBackoff ? backoff * 2 : kMaxBackoff;
        // Relaxed: only a hint that an exchange may now succeed; the exchange orders.
      } while (locked_.load(std::memory_order_relaxed) != 0);
    }
  }

  void acquire() TA_ACQ() {
    SpinWait wait(this, nullptr, nullptr);
    acquire(wait);
  }

  void release() TA_REL() {
    // Release: the critical section happens before the next successful exchange.
    locked_.store(0, std::memory_order_release);
  }

  bool is_locked() const { return locked_.load(std::memory_order_relaxed) != 0; }

 private:
  Atomic<std::uint32_t> locked_{0};
};

}  // namespace smp::raw
