// A condition variable for ksched::Mutex (sched/sync/condition_variable.h). wait() releases
// the mutex and sleeps until a notify that came after it started waiting (or spuriously,
// which callers absorb with a predicate loop), then takes the mutex again.
#pragma once

#include <cstdint>

#include "kernel/threads/mutex.h"
#include "sched/sync/condition_variable.h"

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
  // As wait(), sleeping at most `timeout_ns`; returns true if notified, false on timeout.
  [[nodiscard]] bool wait_for(Mutex& m, std::uint64_t timeout_ns);
  // Loops on `pred` until it holds or the timeout passes; returns pred() at the end.
  template <typename Pred>
  [[nodiscard]] bool wait_for(Mutex& m, std::uint64_t timeout_ns, Pred pred) {
    const std::uint64_t deadline = now_ns() + timeout_ns;
    while (!pred()) {
      const std::uint64_t now = now_ns();
      if (now >= deadline) return pred();
      (void)wait_for(m, deadline - now);
    }
    return true;
  }
  void notify_one();
  void notify_all();

 private:
  static std::uint64_t now_ns();
  sched::ConditionVariable impl_;
};

}  // namespace ksched
