#include "sched/thread_state.h"

#include <atomic>

namespace sched {
namespace {

// Installed once at start-up (or by a test before it starts CPUs): the release store of the
// handler publishes its context to reporters that load the handler with acquire.
std::atomic<BugHandler> g_handler{nullptr};
std::atomic<void*> g_context{nullptr};

}  // namespace

const char* state_name(ThreadState state) {
  switch (state) {
    case ThreadState::kNew: return "new";
    case ThreadState::kRunnable: return "runnable";
    case ThreadState::kRunning: return "running";
    case ThreadState::kBlocked: return "blocked";
    case ThreadState::kExited: return "exited";
  }
  return "?";
}

const char* bug_kind_name(BugKind kind) {
  switch (kind) {
    case BugKind::kInvalidTransition: return "invalid state transition";
    case BugKind::kOnCpuTwice: return "thread on two CPUs";
    case BugKind::kScheduleWhileAtomic: return "schedule() while atomic";
    case BugKind::kAffinityViolated: return "affinity violated";
    case BugKind::kOnCpuStall: return "on-CPU flag stall";
    case BugKind::kWrongRunqueue: return "thread changed under the wrong runqueue lock";
    case BugKind::kMutexRecursive: return "mutex locked again by its owner";
    case BugKind::kMutexNotOwner: return "mutex unlocked by a thread that does not own it";
  }
  return "?";
}

void set_bug_handler(BugHandler handler, void* context) {
  g_context.store(context, std::memory_order_relaxed);
  g_handler.store(handler, std::memory_order_release);
}

void report_bug(const BugReport& report) {
  if (BugHandler handler = g_handler.load(std::memory_order_acquire)) {
    handler(report, g_context.load(std::memory_order_relaxed));
    return;
  }
  __builtin_trap();
}

}  // namespace sched
