// The kernel's sleeping mutex: sched::Mutex (sched/sync/mutex.h: owner, priority inheritance,
// timed locks) on the kernel's scheduler. Not recursive; a recursive lock or an unlock by a
// thread that does not own it panics. Thread context only (it may block): no spinlock held,
// preemption enabled.
#pragma once

#include <cstdint>

#include "sched/sync/mutex.h"
#include "sched/thread.h"

namespace ksched {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until the caller owns the mutex, lending its RT priority to the owner meanwhile.
  void lock();
  [[nodiscard]] bool try_lock();
  // Blocks at most `timeout_ns` (deadline_ns: on ktime::now_ns()); returns whether it owns it.
  [[nodiscard]] bool try_lock_for(std::uint64_t timeout_ns);
  [[nodiscard]] bool try_lock_until(std::uint64_t deadline_ns);
  // Needs: the caller owns it. Wakes one waiter, drops inherited priority, then a preemption
  // point (a woken or now higher thread runs at once).
  void unlock();
  sched::Thread* owner() const { return impl_.owner(); }

  sched::Mutex& impl() { return impl_; }

 private:
  sched::Mutex impl_;
};

class [[nodiscard]] MutexGuard {
 public:
  explicit MutexGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~MutexGuard() { m_.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;

 private:
  Mutex& m_;
};

}  // namespace ksched
