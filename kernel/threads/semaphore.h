// A counting semaphore on the kernel's scheduler (sched/sync/semaphore.h): down() blocks while
// the count is 0. Thread context for both (up() may run the woken thread at once, through the
// preemption point after the wake-up).
#pragma once

#include <cstdint>

#include "sched/sync/semaphore.h"

namespace ksched {

class Semaphore {
 public:
  explicit Semaphore(std::uint32_t initial = 0) : impl_(initial) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  void down();
  [[nodiscard]] bool try_down() { return impl_.try_down(); }
  // Waits at most `timeout_ns` for a count; returns whether it took one.
  [[nodiscard]] bool down_for(std::uint64_t timeout_ns);
  void up();
  std::uint32_t count() const { return impl_.count(); }

 private:
  sched::Semaphore impl_;
};

}  // namespace ksched
