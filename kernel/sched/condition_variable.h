// A condition variable for Mutex. wait() releases the mutex and sleeps until a notify that
// came after it started waiting (or spuriously, which callers absorb with a predicate loop),
// then takes the mutex again. A generation counter makes the release-and-sleep atomic with
// respect to notifiers: a notify between the unlock and the sleep changes the generation, which
// the sleep's condition (checked under the wait-queue lock) sees.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/sched/mutex.h"
#include "sched/wait_queue.h"

namespace ksched {

class ConditionVariable {
 public:
  ConditionVariable() = default;
  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;

  // Needs: the caller owns `m`. Returns owning it again.
  void wait(Mutex& m);
  template <typename Pred>
  void wait(Mutex& m, Pred pred) {
    while (!pred()) wait(m);
  }
  void notify_one();
  void notify_all();

 private:
  std::atomic<std::uint64_t> generation_{0};
  sched::WaitQueue waiters_;
};

}  // namespace ksched
