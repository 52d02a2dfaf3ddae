#include "kernel/threads/completion.h"

#include "kernel/threads/kernel_scheduler.h"

namespace ksched {

void Completion::complete() {
  impl_.complete(scheduler());
  preempt_point();
}

void Completion::wait() { impl_.wait(scheduler()); }

bool Completion::wait_for(std::uint64_t timeout_ns) {
  return impl_.wait_until(scheduler(), scheduler().now() + timeout_ns);
}

}  // namespace ksched
