// The life cycle of a thread and the transitions the scheduler may make. Every change of a
// thread's state goes through `transition()`, which checks it against the table below; an
// invalid transition is a scheduler bug and is reported through the bug hook (with
// PLEIADES_SCHED_CHECKS; the kernel panics, host tests record).
//
//   kNew ──start──> kRunnable <──preempt/yield── kRunning ──exit──> kExited
//                       │  ^                        ^  │
//                       │  └──────wake (dequeued)───┼──┼── kBlocked
//                       └──────────pick─────────────┘  └──block──^ │
//                                      wake (still on its CPU) ────┘ -> kRunning
//
// kBlocked is entered by the running thread itself (prepare to sleep); a waker moves it back to
// kRunning if the thread has not left its CPU yet, else to kRunnable (docs/scheduling.md).
#pragma once

#include <cstdint>

namespace sched {

enum class ThreadState : std::uint8_t {
  kNew,       // created, never queued
  kRunnable,  // on a runqueue (or being placed on one by a waker), not on a CPU
  kRunning,   // a CPU's current thread
  kBlocked,   // waiting for a wake-up; may still be on its CPU until it has switched away
  kExited,    // finished; its stack may be freed once its on-CPU flag is clear
};
inline constexpr std::uint32_t kThreadStateCount = 5;

const char* state_name(ThreadState state);

// True when `from` -> `to` is an edge of the life cycle above.
constexpr bool transition_allowed(ThreadState from, ThreadState to) {
  using S = ThreadState;
  switch (from) {
    case S::kNew: return to == S::kRunnable;
    case S::kRunnable: return to == S::kRunning;
    case S::kRunning: return to == S::kRunnable || to == S::kBlocked || to == S::kExited;
    case S::kBlocked: return to == S::kRunnable || to == S::kRunning;
    case S::kExited: return false;
  }
  return false;
}

struct Thread;

// Scheduler invariants broken at run time: reported, never silently ignored.
enum class BugKind : std::uint8_t {
  kInvalidTransition,    // `from` -> `to` is not in the table
  kOnCpuTwice,           // a thread was about to run on two CPUs (on-CPU flag already set)
  kScheduleWhileAtomic,  // schedule() called with preemption disabled or a lock held
  kAffinityViolated,     // a thread was about to be queued on a CPU outside its affinity
  kOnCpuStall,           // waited for a thread's on-CPU flag for longer than the spin limit
  kWrongRunqueue,        // a runqueue was about to link, unlink or re-queue a thread whose
                         // `cpu` names another runqueue (its lock was not the one held)
  kMutexRecursive,       // a thread locked a mutex it owns (sched/sync/mutex.h)
  kMutexNotOwner,        // a thread unlocked a mutex it does not own
};

// A short description of `kind` for reports.
const char* bug_kind_name(BugKind kind);

struct BugReport {
  BugKind kind;
  const Thread* thread;
  ThreadState from;
  ThreadState to;
  std::uint32_t cpu;  // the reporting CPU
};

// Where bug reports go. The default handler traps (kernel: the #UD handler panics with the
// address; host: SIGILL). The kernel installs a panic with the report; host tests install a
// recorder. The handler may run on any CPU; returning lets the scheduler carry on.
using BugHandler = void (*)(const BugReport& report, void* context);
void set_bug_handler(BugHandler handler, void* context);
void report_bug(const BugReport& report);

}  // namespace sched
