// raw::RwLock: a writer-preferring reader-writer spinlock in one 32-bit word.
//
//   bit 0       a writer holds the lock
//   bits 1..15  number of writers waiting (the "waiting-writer flag", counted so that two
//               waiting writers do not clear each other's claim)
//   bits 16..31 number of readers holding the lock
//
// A reader enters only when no writer holds *or waits*; a writer announces itself first, so
// readers that arrive afterwards hold back, the readers inside drain, and the writer gets in:
// a continuous stream of readers cannot starve a writer. The price is the reverse: a
// continuous stream of writers starves readers (docs/locking.md: use it for read-mostly data).
#pragma once

#include <atomic>
#include <cstdint>

#include "smp/locks/spin_wait.h"
#include "smp/locks/thread_annotations.h"

namespace smp::raw {

class TA_CAP("rwlock") RwLock {
 public:
  static constexpr std::uint32_t kWriterHeld = 1u << 0;
  static constexpr std::uint32_t kWriterWaitingOne = 1u << 1;
  static constexpr std::uint32_t kWriterWaitingMask = 0x7FFFu << 1;
  static constexpr std::uint32_t kReaderOne = 1u << 16;
  static constexpr std::uint32_t kReaderMask = 0xFFFFu << 16;

  constexpr RwLock() = default;
  RwLock(const RwLock&) = delete;
  RwLock& operator=(const RwLock&) = delete;

  bool try_acquire_shared() TA_TRY_ACQ(true) TA_ACQ_SHARED() {
    std::uint32_t s = state_.load(std::memory_order_relaxed);
    // Acquire on success: pairs with the writer's release in release(). The reader count
    // cannot overflow: it would take 65536 CPUs inside at once.
    return (s & (kWriterHeld | kWriterWaitingMask)) == 0 &&
           state_.compare_exchange_strong(s, s + kReaderOne, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void acquire_shared(SpinWait& wait) TA_ACQ_SHARED() {
    for (;;) {
      std::uint32_t s = state_.load(std::memory_order_relaxed);
      if ((s & (kWriterHeld | kWriterWaitingMask)) == 0) {
        // Acquire: as in try_acquire_shared().
        if (state_.compare_exchange_weak(s, s + kReaderOne, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
          return;
        }
        continue;  // another reader moved the count: retry at once
      }
      wait.pause();
    }
  }

  void release_shared() TA_REL_SHARED() {
    // Release: the reader's loads happen before a writer's acquire sees the count drop, so
    // the writer cannot overwrite data a reader is still reading.
    state_.fetch_sub(kReaderOne, std::memory_order_release);
  }

  bool try_acquire() TA_TRY_ACQ(true) {
    std::uint32_t expected = 0;
    // Acquire on success: pairs with the release of the last reader or writer.
    return state_.compare_exchange_strong(expected, kWriterHeld, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void acquire(SpinWait& wait) TA_ACQ() {
    // Announce: from here on no new reader enters. Relaxed: the announcement orders nothing;
    // the CAS below does.
    state_.fetch_add(kWriterWaitingOne, std::memory_order_relaxed);
    for (;;) {
      std::uint32_t s = state_.load(std::memory_order_relaxed);
      if ((s & (kWriterHeld | kReaderMask)) == 0) {
        // Trade our waiting count for the held bit in one step. Acquire: pairs with the
        // release of the last reader (release_shared) or writer (release).
        if (state_.compare_exchange_weak(s, s - kWriterWaitingOne + kWriterHeld,
                                         std::memory_order_acquire, std::memory_order_relaxed)) {
          return;
        }
        continue;
      }
      wait.pause();
    }
  }

  void release() TA_REL() {
    // Release: the writer's stores happen before the next reader's or writer's acquire.
    state_.fetch_sub(kWriterHeld, std::memory_order_release);
  }

  // Diagnostics and tests.
  std::uint32_t state() const { return state_.load(std::memory_order_relaxed); }
  std::uint32_t readers() const { return state() >> 16; }
  std::uint32_t writers_waiting() const { return (state() & kWriterWaitingMask) >> 1; }

 private:
  std::atomic<std::uint32_t> state_{0};
};

}  // namespace smp::raw
