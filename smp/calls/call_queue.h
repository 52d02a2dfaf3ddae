// CallQueue: one CPU's bounded queue of cross-CPU call requests (docs/locking.md, "cross-CPU
// services"). Senders push under the IRQ-saving `ipi-queue` lock (rank 50); the owning CPU pops.
// push() says whether the queue was empty, which is the only case that needs an IPI: a
// non-empty queue already has one under way or is being served.
#pragma once

#include <cstdint>

#include "smp/atomic.h"
#include "smp/locks/locks.h"
#include "smp/platform/platform.h"

namespace smp {

// What a called function receives: copied into the target's queue, so it lives as long as the
// request (a timed-out synchronous caller may return before the target runs it).
struct CallArgs {
  void* ptr = nullptr;  // must outlive the request when used (static data, or a sync call)
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};
// Runs on the target with interrupts off, in interrupt context or inside a spin loop of the
// interrupted code: it must be short, must not block, must not make a synchronous call, and may
// take only leaf locks (rank above 50) or none.
using CallFunction = void (*)(const CallArgs& args);

inline constexpr std::uint32_t kCallQueueCapacity = 64;
inline constexpr std::uint32_t kNoTicket = 0;

// One request. `sender` is kNoCpu for an asynchronous call (nobody to tell).
struct QueuedCall {
  CallFunction fn = nullptr;
  CallArgs args;
  std::uint32_t sender = platform::kNoCpu;
  std::uint32_t ticket = kNoTicket;
};

extern LockClass kIpiQueueClass;

class CallQueue {
 public:
  enum class PushResult : std::uint8_t { kQueuedWasEmpty, kQueuedWasBusy, kFull };

  // Appends `call`; kFull (nothing changed) when kCallQueueCapacity requests are queued. Any
  // CPU; takes the queue lock (interrupts off while held).
  [[nodiscard]] PushResult push(const QueuedCall& call);
  // Removes the oldest request into `out`; false when the queue is empty. Takes the queue lock.
  [[nodiscard]] bool pop(QueuedCall& out);
  // Requests queued, read without the lock: a hint for "anything to do?" (see pending_).
  std::uint32_t pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  using Lock = TicketSpinLock<IrqSave, kIpiQueueClass>;

  Lock lock_;
  QueuedCall ring_[kCallQueueCapacity] TA_GUARDED(lock_);
  std::uint32_t head_ TA_GUARDED(lock_) = 0;
  std::uint32_t count_ TA_GUARDED(lock_) = 0;
  // A copy of count_ for the lock-free test of the spin-wait hook. Written under the lock; a
  // stale 0 is harmless: the push that made it non-zero also sent an IPI (or the next poll sees
  // it). An smp::Atomic: the owner's lock-free test races the senders' pushes (an interleaving
  // point for the explorer).
  Atomic<std::uint32_t> pending_{0};
};

}  // namespace smp
