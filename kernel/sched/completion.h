// A one-shot event: wait() blocks until complete() has been called (then returns at once for
// everyone, for ever).
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/wait_queue.h"

namespace ksched {

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  void complete();
  // Thread context. Blocks until complete().
  void wait();
  // Thread context. Waits at most `timeout_ns` (polling every tick while it sleeps); returns
  // whether it completed.
  [[nodiscard]] bool wait_for(std::uint64_t timeout_ns);
  bool done() const { return done_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> done_{false};
  sched::WaitQueue waiters_;
};

}  // namespace ksched
