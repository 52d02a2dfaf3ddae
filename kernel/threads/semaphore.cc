#include "kernel/threads/semaphore.h"

#include "kernel/threads/kernel_scheduler.h"

namespace ksched {

void Semaphore::down() { impl_.down(scheduler()); }

bool Semaphore::down_for(std::uint64_t timeout_ns) {
  return impl_.down_until(scheduler(), scheduler().now() + timeout_ns);
}

void Semaphore::up() {
  impl_.up(scheduler());
  preempt_point();
}

}  // namespace ksched
