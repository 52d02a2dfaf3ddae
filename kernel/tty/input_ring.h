// The bytes interrupt handlers hand to the terminal: a fixed ring under an IRQ-saving spinlock
// that is a leaf (nothing else is taken while it is held, and nothing holds another lock while
// taking it; docs/locking.md "tty-input-ring"). Producers are interrupt handlers (the UART's,
// the keyboard's) on any CPU; the consumer is the terminal's worker thread. Neither side ever
// wakes anybody while holding it: that is the caller's next step, after the push returned.
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/locks.h"

namespace ktty {

inline constinit smp::LockClass kInputRingClass{"tty-input-ring", smp::LockRank{0}};

class InputRing {
 public:
  static constexpr std::size_t kCapacity = 1024;

  InputRing() = default;
  InputRing(const InputRing&) = delete;
  InputRing& operator=(const InputRing&) = delete;

  // Appends up to `length` bytes; what does not fit is dropped and counted. Returns the count
  // appended. Any context (interrupts are off inside).
  std::size_t push(const std::uint8_t* bytes, std::size_t length);
  // Runs fill(buffer, room) under the ring's lock and appends what it returns (at most `room`
  // bytes): for a handler that reads a device's FIFO and must not lose a byte it took to a full
  // ring (it reads only as many as fit). Returns the count appended.
  template <typename Fill>
  std::size_t push_from(Fill&& fill) {
    smp::Guard g{lock_};
    std::uint8_t chunk[64];
    const std::size_t room = kCapacity - count_;
    const std::size_t n = fill(chunk, room < sizeof(chunk) ? room : sizeof(chunk));
    append_locked(chunk, n);
    return n;
  }
  // Moves up to `max` bytes, oldest first, to `out`. Returns the count.
  std::size_t pop(std::uint8_t* out, std::size_t max);
  // Whether bytes are waiting (lock-free: a wait condition reads it).
  bool has_data() const { return pending_.load(std::memory_order_acquire); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void append_locked(const std::uint8_t* bytes, std::size_t length) TA_REQ(lock_);

  smp::TicketSpinLock<smp::IrqSave, kInputRingClass> lock_;
  std::uint8_t ring_[kCapacity] TA_GUARDED(lock_) = {};
  std::size_t head_ TA_GUARDED(lock_) = 0;  // oldest byte
  std::size_t count_ TA_GUARDED(lock_) = 0;
  // Mirrors count_ != 0 for lock-free readers; written under the lock.
  smp::Atomic<bool> pending_{false};
  smp::Atomic<std::uint64_t> dropped_{0};
};

}  // namespace ktty
