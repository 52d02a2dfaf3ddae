#include "sched/thread.h"

#include "sched/config.h"
#include "smp/platform/platform.h"

namespace sched {

bool transition(Thread& t, ThreadState from, ThreadState to) {
  if constexpr (kChecks) {
    ThreadState seen = from;
    // Relaxed: the caller holds the lock that orders this thread's transitions (thread.h); the
    // atomic makes lock-free diagnostic reads of the state well defined. The CAS (rather than a
    // store) is the check that nobody moved the thread behind that lock's back.
    if (!transition_allowed(from, to) ||
        !t.state.compare_exchange_strong(seen, to, std::memory_order_relaxed)) {
      report_bug(BugReport{BugKind::kInvalidTransition, &t, seen, to,
                           platform::to_index(platform::current_cpu())});
      return false;
    }
    return true;
  }
  // Relaxed: as above.
  t.state.store(to, std::memory_order_relaxed);
  return true;
}

}  // namespace sched
