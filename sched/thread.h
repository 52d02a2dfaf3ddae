// A thread as the scheduler sees it: identity, policy, its entities in the fair and real-time
// queues, affinity, life-cycle state, the on-CPU flag and its saved context. Threads are
// allocated by the caller (kernel: its thread allocator; host tests: plain objects) together
// with their stacks; the scheduler never allocates.
//
// Who may touch what (docs/scheduling.md, "Locking"):
//   id, name, entry, arg            immutable after init_thread()
//   policy, nice, rt_priority,      changed only while the thread is not queued, under the lock
//   affinity, fair.weight/slice     of runqueue `cpu`
//   fair, rt (queue links, times)   the lock of runqueue `cpu`
//   on_rq                           the lock of runqueue `cpu`
//   cpu                             written only with the locks of both the runqueue it names
//                                   and the one it will name (a migration, or a wake-up placing
//                                   the thread); read without lock only as a hint that is
//                                   re-checked under that lock, after which it stays put until
//                                   the lock is released
//   state                           transitions under the lock of runqueue `cpu`, except
//                                   kRunning -> kBlocked, made by the thread itself (under its
//                                   wait queue's lock; wakers find it through that queue)
//   on_cpu                          set by the CPU that switches to it, cleared (release) by
//                                   that CPU once it has switched away and saved the context
//   context                         only by the CPU running or switching the thread
//   pi_priority                     the lock of runqueue `cpu` (also while queued: the runqueue
//                                   re-queues it, RunQueue::set_inherited_priority)
//   pi                              the mutex-pi lock (sched/sync/mutex.h)
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/context.h"
#include "sched/fair_queue.h"
#include "sched/rt_queue.h"
#include "sched/thread_state.h"
#include "smp/atomic.h"
#include "smp/cpu_set.h"

namespace sched {

enum class SchedPolicy : std::uint8_t {
  kFair,        // EEVDF, weighted by nice
  kFifo,        // real-time, runs until it blocks or yields or a higher priority preempts
  kRoundRobin,  // real-time, like kFifo with a kRoundRobinSliceNs quantum among equals
};

using ThreadEntry = void (*)(void* arg);

struct ThreadParams {
  const char* name = "thread";
  SchedPolicy policy = SchedPolicy::kFair;
  int nice = 0;                      // kFair: -20..19
  std::uint8_t rt_priority = 0;      // kFifo / kRoundRobin: 0..99, 99 highest
  std::uint64_t slice_ns = kDefaultSliceNs;  // kFair: request size (smaller: lower latency)
  smp::CpuSet affinity;              // empty: every CPU
};

class Mutex;
struct MutexWaiter;
class KickBatch;

// No inherited priority (Thread::pi_priority, PiState::inherited).
inline constexpr int kNoInheritedPriority = -1;

// Priority-inheritance bookkeeping of one thread (sched/sync/mutex.h), under the mutex-pi lock.
struct PiState {
  MutexWaiter* waiting = nullptr;  // its entry in the mutex it waits for, or null
  Mutex* held = nullptr;           // first of the mutexes it owns that have waiters
  int inherited = kNoInheritedPriority;  // the RT priority those waiters lend it
};

struct Thread {
  Thread() = default;
  Thread(const Thread&) = delete;
  Thread& operator=(const Thread&) = delete;

  // Whether the thread is in the real-time class: by its own policy, or because a mutex waiter
  // lends it an RT priority (priority inheritance). Needs the lock of runqueue `cpu`.
  bool is_realtime() const {
    return policy != SchedPolicy::kFair || pi_priority != kNoInheritedPriority;
  }
  // The RT priority it runs at: the higher of its own (if real-time) and the inherited one.
  std::uint8_t effective_rt_priority() const {
    int own = policy != SchedPolicy::kFair ? rt_priority : 0;
    return static_cast<std::uint8_t>(pi_priority > own ? pi_priority : own);
  }
  // The priority it lends to the owner of a mutex it waits for (-1: none, a fair thread).
  // Needs the mutex-pi lock (reads pi.inherited; policy and rt_priority are fixed).
  int lent_priority() const {
    int own = policy != SchedPolicy::kFair ? rt_priority : kNoInheritedPriority;
    return pi.inherited > own ? pi.inherited : own;
  }

  std::uint64_t id = 0;
  const char* name = "";
  ThreadEntry entry = nullptr;
  void* arg = nullptr;

  SchedPolicy policy = SchedPolicy::kFair;
  int nice = 0;
  std::uint8_t rt_priority = 0;
  smp::CpuSet affinity;

  FairEntity fair;
  RtEntity rt;

  smp::Atomic<ThreadState> state{ThreadState::kNew};
  smp::Atomic<bool> on_cpu{false};
  // Queued on, or current of, runqueue `cpu`. Written under that runqueue's lock; an atomic so
  // that a reader that has not yet confirmed `cpu` under its lock reads a value, not a race.
  smp::Atomic<bool> on_rq{false};
  smp::Atomic<platform::CpuNumber> cpu{platform::CpuNumber{0}};
  // The inherited RT priority the runqueue applies (kNoInheritedPriority: none).
  int pi_priority = kNoInheritedPriority;
  PiState pi;

  Context context;
  // Optional XSAVE area (64-byte aligned, sched::arch::xsave_area_size() bytes), switched when
  // PLEIADES_SCHED_XSAVE is on.
  void* extended_state = nullptr;
  // The platform's per-thread data for the switch hook (host tests: the TSan fiber).
  void* switch_cookie = nullptr;
  // The thread's open KickBatch (sched/scheduler.h), or null. Written only by the thread itself
  // (and read by interrupts on its CPU, which the batch's signal fences order).
  std::atomic<KickBatch*> kick_batch{nullptr};
};

// Moves `t` from `from` to `to`. With PLEIADES_SCHED_CHECKS, a transition not in the table of
// sched/thread_state.h, or a thread not in `from`, is reported (BugKind::kInvalidTransition)
// and the state is left unchanged. Returns whether the transition was made.
// Needs: the lock the field comment above names for this transition.
bool transition(Thread& t, ThreadState from, ThreadState to);

}  // namespace sched
