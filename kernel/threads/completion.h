// A one-shot event on the kernel's scheduler (sched/sync/completion.h): wait() blocks until
// complete() has been called (then returns at once for everyone, for ever).
#pragma once

#include <cstdint>

#include "sched/sync/completion.h"

namespace ksched {

class Completion {
 public:
  Completion() = default;
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  void complete();
  // Thread context. Blocks until complete().
  void wait();
  // Thread context. Sleeps until complete() or `timeout_ns` have passed (a timer on this CPU
  // wakes it, no polling); returns whether it completed.
  [[nodiscard]] bool wait_for(std::uint64_t timeout_ns);
  bool done() const { return impl_.done(); }

 private:
  sched::Completion impl_;
};

}  // namespace ksched
