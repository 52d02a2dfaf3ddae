// A sleeping mutex with an owner: contended lockers block on a wait queue instead of spinning.
// Not recursive; unlocking a mutex the caller does not own panics. Thread context only (it may
// block): no spinlock held, preemption enabled.
#pragma once

#include <atomic>

#include "sched/thread.h"
#include "sched/wait_queue.h"

namespace ksched {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until the caller owns the mutex. Takes the wait-queue lock when contended.
  void lock();
  [[nodiscard]] bool try_lock();
  // Needs: the caller owns it. Wakes one waiter.
  void unlock();
  sched::Thread* owner() const { return owner_.load(std::memory_order_relaxed); }

 private:
  // Acquire on success: the previous owner's critical section happens-before ours.
  bool try_take(sched::Thread* self) {
    sched::Thread* expected = nullptr;
    return owner_.compare_exchange_strong(expected, self, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  std::atomic<sched::Thread*> owner_{nullptr};
  sched::WaitQueue waiters_;
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
